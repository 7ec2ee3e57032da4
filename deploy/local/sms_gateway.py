"""A stand-in SMS provider on 127.0.0.1, for the cluster: the edge of the world, behind the real adapter.

    python -m deploy.local sms-gateway start [--dir DIR] [--json]   # prints the URL to POST to
    python -m deploy.local sms-gateway status --dir DIR
    python -m deploy.local sms-gateway stop --dir DIR

It speaks what dukaan's HTTP adapter (dukaan/infra/sms.py, SMS_BACKEND=http) sends a provider: POST
{"to": "+91…", "text": "…"} with `Authorization: Bearer <token>`, answered 202 with a message id. No SMS
leaves the machine: each message is appended to DIR/messages.log in the console backend's format, so
`latest_console_message(phone, log_path=…)` reads it. The token is made at `start` and is in the state
(`--json`). Stopping it is how the cluster tests take the SMS provider down. Standard library only.
"""

from __future__ import annotations

import json
import secrets
import urllib.request
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from deploy.local import throwaway

READY_TIMEOUT_S = 10.0


class GatewayDir(throwaway.ServerDir):
    name = "sms_gateway"
    label = "an SMS gateway"

    def is_ours(self, command: str) -> bool:
        return "deploy.local sms-gateway serve" in command

    def answers(self, port: int) -> bool:
        return answers(port)


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=0.5) as response:
            return response.status == 200
    except OSError:
        return False


def serve(port: int, folder: Path, token: str) -> None:
    """The server itself (`start` runs this in a process of its own)."""
    messages = folder / "messages.log"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer(200 if self.path == "/healthz" else 404, {"status": "ok"})

        def do_POST(self) -> None:
            if self.path != "/messages":
                return self._answer(404, {"error": "POST to /messages"})
            if self.headers.get("Authorization") != f"Bearer {token}":
                return self._answer(401, {"error": "unknown token"})
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                to, text = body["to"], " ".join(str(body["text"]).split())
            except (ValueError, KeyError, TypeError):
                return self._answer(400, {"error": 'send JSON {"to": "+91…", "text": "…"}'})
            with messages.open("a", encoding="utf-8") as log:
                log.write(f"{datetime.now(UTC).isoformat()} to={to} {text}\n")
            self._answer(202, {"id": uuid.uuid4().hex})

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
            pass  # the messages log is the record; no line per request

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def start(path: Path | None) -> dict:
    folder, created = GatewayDir.claim(path)
    token = folder.read_state().get("token") or secrets.token_urlsafe(24)
    return throwaway.launch(
        folder,
        created=created,
        arguments=lambda port: throwaway.command("sms-gateway", "serve", str(port), str(folder.path), token),
        state=lambda port: {
            "url": f"http://127.0.0.1:{port}/messages",
            "token": token,
            "messages": str(folder.path / "messages.log"),
        },
        ready_timeout=READY_TIMEOUT_S,
        output_to_log=True,
    )


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:
        serve(int(argv[1]), Path(argv[2]), argv[3])
        return 0
    return throwaway.command_line(
        argv, "sms-gateway", __doc__, GatewayDir, lambda options: start(options.dir)
    )
