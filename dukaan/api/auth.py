"""Merchant authentication: `Authorization: Bearer dk_…`, a token made in the dashboard for one store.

Every refusal is the same 401 problem whether the token is missing, unknown or revoked, with a
`WWW-Authenticate` header (RFC 6750). Failed checks count against the client address's rate
limit, so guessing tokens is slow as well as hopeless.

Each merchant operation declares the scope it needs with `auth=needs(Scope...)` (or `needs(None)`:
any token of the store); a live token without that scope gets a 403 naming it, here and only here.
The token's role (that of the member who made it, docs/staff.md) must also reach the operation's part
of the store: its scope's (accounts.roles.SCOPE_ACCESS), or the one it names, `needs(scope, access)`.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from dukaan.accounts.models import ApiToken
from dukaan.accounts.roles import SCOPE_ACCESS, Access, Role, may, refusal
from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import authenticate_api_token

from .limits import client_ip, count_request
from .problems import Problem

MISSING = (
    "Send your API token as `Authorization: Bearer dk_…`. Make one in the dashboard under Store → API tokens."
)
REFUSED = (
    "That API token is not valid: it may have been revoked or mistyped. Make a new one in the dashboard."
)

INSUFFICIENT = 'Bearer realm="dukaan", error="insufficient_scope"'


class TokenAuth(HttpBearer):
    openapi_description = (
        "An API token from the dashboard (Store → API tokens): `dk_…`. Each operation lists the scope "
        "the token needs in its security requirement."
    )

    def __init__(self, scope: Scope | None = None, access: Access | None = None) -> None:
        super().__init__()
        self.scope = scope
        self.access = access or (SCOPE_ACCESS[scope] if scope else None)

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
        if self.scope is not None and self.scope not in api_token.scopes:
            raise Problem(
                "insufficient-scope",
                f"The token ‘{api_token.name}’ ({api_token.prefix}…) does not have the scope “{self.scope}” "
                f"this needs ({self.scope.description}) A token's scopes cannot be changed: make a new "
                f"token with “{self.scope}” in the dashboard (Store → API tokens) and use that instead.",
                headers={"WWW-Authenticate": f'{INSUFFICIENT}, scope="{self.scope}"'},
                required_scope=str(self.scope),
                token_scopes=api_token.scopes,
            )
        if self.access is not None and not may(Role(api_token.role), self.access):
            raise role_refused(api_token, self.access)
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


def role_refused(token: ApiToken, access: Access) -> Problem:
    """The 403 for a token whose role (its maker's, docs/staff.md) does not reach `access`."""
    role = Role(token.role)
    return Problem(
        "role-refused",
        f"The token ‘{token.name}’ ({token.prefix}…) was made by a member whose role is {role.label}. "
        f"{refusal(access)}",
        token_role=str(role),
        required_access=str(access),
    )


def needs(scope: Scope | None, access: Access | None = None) -> TokenAuth:
    """The auth of an operation that needs `scope` (None: any live token of the store), by a token
    whose role reaches `access` (default: the scope's part of the store)."""
    return TokenAuth(scope, access)


token_auth = TokenAuth()
