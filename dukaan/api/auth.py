"""Merchant authentication: `Authorization: Bearer dk_…`, a token made in the dashboard for one store.

Every refusal is the same 401 problem whether the token is missing, unknown or revoked, with a
`WWW-Authenticate` header (RFC 6750). Failed checks count against the client address's rate
limit, so guessing tokens is slow as well as hopeless.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from dukaan.accounts.models import ApiToken
from dukaan.accounts.services import authenticate_api_token

from .limits import client_ip, count_request
from .problems import Problem

MISSING = (
    "Send your API token as `Authorization: Bearer dk_…`. Make one in the dashboard under Store → API tokens."
)
REFUSED = (
    "That API token is not valid: it may have been revoked or mistyped. Make a new one in the dashboard."
)


class TokenAuth(HttpBearer):
    openapi_description = "An API token from the dashboard (Store → API tokens): `dk_…`."

    def __call__(self, request: HttpRequest) -> ApiToken:
        header = request.headers.get("Authorization", "")
        scheme, _, raw = header.partition(" ")
        if not header:
            self._refuse(request, MISSING, 'Bearer realm="dukaan"')
        if scheme.lower() != "bearer" or not raw.strip():
            self._refuse(request, MISSING, 'Bearer realm="dukaan", error="invalid_request"')
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        api_token = authenticate_api_token(token)
        if api_token is None:
            self._refuse(request, REFUSED, 'Bearer realm="dukaan", error="invalid_token"')
        return api_token

    def _refuse(self, request: HttpRequest, detail: str, challenge: str) -> None:
        wait = count_request("auth-failed", client_ip(request), settings.API_RATE_LIMIT_PER_IP)
        if wait is not None:
            raise Problem(
                "rate-limited",
                f"Too many failed attempts from your address. Try again in {wait} seconds.",
                headers={"Retry-After": str(wait)},
            )
        raise Problem("unauthorized", detail, headers={"WWW-Authenticate": challenge})


token_auth = TokenAuth()
