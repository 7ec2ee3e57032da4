"""Who sent a request, and how many requests they sent: the client's address seen through the proxies
this deployment trusts, and fixed-window counters for per-client limits.

Behind nginx, an ingress or a load balancer every request comes from the proxy's address, so a limit
counted on REMOTE_ADDR would count every client together. The proxy appends the address it saw to
X-Forwarded-For; only a proxy listed in DUKAAN_TRUSTED_PROXIES is believed. Reading the header from
the right, the first address that is not a trusted proxy is the client: whatever a client writes into
the header itself stands further left and is never reached, so it cannot be spoofed.
"""

from __future__ import annotations

import ipaddress
import math
import time
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import ngettext

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # An IPv4 client seen over an IPv6 socket is one client, whichever way it arrived.
    return getattr(address, "ipv4_mapped", None) or address


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address as text, or None when the request does not say one we can read."""
    peer = _address(request.META.get("REMOTE_ADDR") or "")
    trusted = trusted_networks(tuple(settings.TRUSTED_PROXIES))
    if peer is None or not any(peer in network for network in trusted):
        return str(peer) if peer else None
    forwarded = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    client = peer
    for hop in reversed(forwarded):
        address = _address(hop)
        if address is None:  # garbage in the header: the last proxy-vouched address stands
            break
        client = address
        if not any(address in network for network in trusted):
            break
    return str(client)


def count_request(bucket: str, ident: str, limit: int, *, window: int | None = None) -> int | None:
    """Count one request of `ident` against `limit` per window of `window` seconds (default
    API_RATE_LIMIT_WINDOW_SECONDS): None if it may go ahead, else the seconds to wait.

    The counters live in Django's cache: in-process on a laptop, Redis in a cluster, where every
    web process shares them."""
    if limit <= 0:
        return None
    window = max(1, window or settings.API_RATE_LIMIT_WINDOW_SECONDS)
    now = time.time()
    start = int(now // window) * window
    key = f"api-rate:{bucket}:{ident}:{start}"
    # add() is a no-op when the key exists; incr() is atomic in Redis and under locmem's lock.
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the window's key expired between add() and incr()
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count <= limit:
        return None
    return max(1, math.ceil(start + window - now))


def wait_text(seconds: int) -> str:
    """A wait as a person reads it: "40 seconds", "10 minutes"."""
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
