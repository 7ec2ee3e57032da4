"""A small authoritative DNS server on 127.0.0.1 (UDP, a free port) for the custom domains' tests: the
app's verification (DNS_RESOLVER=127.0.0.1:PORT) and Pebble's challenges (-dnsserver) ask it.

    with DnsServer() as dns:
        dns.txt["_dukaan.shop.example.in"] = ["dukaan-verify=…"]
        dns.a["shop.example.in"] = "127.0.0.1"

A name it holds no record of gets NXDOMAIN; a name it knows, asked for another type, an empty answer."""

from __future__ import annotations

import socket
import threading

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

TTL = 5


class DnsServer:
    def __init__(self) -> None:
        self.a: dict[str, str] = {}
        self.txt: dict[str, list[str]] = {}
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.port: int = self._socket.getsockname()[1]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="dns-server", daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> DnsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._socket.close()

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        for question in query.question:
            name = question.name.to_text(omit_final_dot=True).lower()
            if name not in self.a and name not in self.txt:
                response.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.A and name in self.a:
                rrset = dns.rrset.from_text(question.name, TTL, "IN", "A", self.a[name])
                response.answer.append(rrset)
            elif question.rdtype == dns.rdatatype.TXT and name in self.txt:
                quoted = ['"' + value.replace('"', '\\"') + '"' for value in self.txt[name]]
                response.answer.append(dns.rrset.from_text_list(question.name, TTL, "IN", "TXT", quoted))
        return response

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                data, client = self._socket.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                query = dns.message.from_wire(data)
            except dns.exception.DNSException:
                continue
            self._socket.sendto(self.answer(query).to_wire(), client)
