"""The browser protections Django's SecurityMiddleware has no setting for: Content-Security-Policy and
Permissions-Policy, on every response (pages, the JSON API, /media/ and static files).

The policy lets a page run, style and show only what this app (or its CDN_URL) serves: no inline
script, no inline style but the one a page declared (allow_inline_style: a store page's stylesheet,
with the store's theme and colours), no plugins, no framing (but by our own pages, for a response
marked X-Frame-Options: SAMEORIGIN), and forms that post back here only. A response that sets its
own Content-Security-Policy keeps it (/media/ sends a stricter one). docs/staging.md lists the headers.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from urllib.parse import urlparse

from django.conf import settings

# Features no page of ours uses, switched off so an injected frame or script cannot ask for them.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def source_hash(text: str) -> str:
    """The CSP source expression that allows exactly this inline <style> (or <script>) content."""
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def allow_inline_style(request, css: str) -> None:
    """Let this request's response carry `css` in a <style>: its policy allows exactly that text by its
    hash. Store pages carry their stylesheet inline, so a buyer on a slow phone waits for one request,
    not two; it differs by store (theme, brand colour), so the hash is the response's own."""
    request.inline_styles = (*getattr(request, "inline_styles", ()), css)


def content_security_policy(*, cdn_url: str, inline_styles: list[str], framed_by_self: bool = False) -> str:
    cdn = urlparse(cdn_url)
    # The CDN's origin, not its URL: a source with a path allows that one path only.
    ours = " ".join(["'self'", *([f"{cdn.scheme}://{cdn.netloc}"] if cdn_url else [])])
    directives = {
        "default-src": ours,
        "img-src": f"{ours} data:",
        "script-src": ours,
        "style-src": " ".join([ours, *map(source_hash, inline_styles)]),
        "object-src": "'none'",
        "base-uri": "'self'",
        "frame-ancestors": "'self'" if framed_by_self else "'none'",
        "form-action": "'self'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy and Permissions-Policy to every response that lacks them."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy(cdn_url=settings.CDN_URL, inline_styles=[])

    def __call__(self, request):
        response = self.get_response(request)
        styles = getattr(request, "inline_styles", ())
        framed_by_self = response.headers.get("X-Frame-Options") == "SAMEORIGIN"
        policy = (
            _policy(settings.CDN_URL, styles, framed_by_self) if styles or framed_by_self else self.policy
        )
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


# A store's stylesheet is the same on all its pages: its policy is worked out once per worker.
@functools.lru_cache(maxsize=1024)
def _policy(cdn_url: str, styles: tuple[str, ...], framed_by_self: bool) -> str:
    return content_security_policy(cdn_url=cdn_url, inline_styles=list(styles), framed_by_self=framed_by_self)
