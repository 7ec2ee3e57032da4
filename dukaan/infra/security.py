"""The browser protections Django's SecurityMiddleware has no setting for: Content-Security-Policy and
Permissions-Policy, on every response (pages, the JSON API, /media/ and static files).

The policy lets a page run, style and show only what this app (or its CDN_URL) serves: no inline
script, no inline style except the storefront's one stylesheet, no plugins, no framing, and forms
that post back here only. A response that sets its own Content-Security-Policy keeps it (/media/
sends a stricter one). docs/staging.md lists the headers.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlparse

from django.conf import settings
from django.template.loader import render_to_string

# Store pages carry their stylesheet inline, so a buyer on a slow phone waits for one request, not two;
# the policy allows exactly that stylesheet by its hash, and no other inline style.
STOREFRONT_INLINE_CSS = "storefront/store.css"
# Features no page of ours uses, switched off so an injected frame or script cannot ask for them.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def source_hash(text: str) -> str:
    """The CSP source expression that allows exactly this inline <style> (or <script>) content."""
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def content_security_policy(*, cdn_url: str, inline_styles: list[str]) -> str:
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
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy and Permissions-Policy to every response that lacks them."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy(
            cdn_url=settings.CDN_URL, inline_styles=[render_to_string(STOREFRONT_INLINE_CSS)]
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
