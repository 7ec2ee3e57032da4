"""Staff sign-in: staff rights need two factors, the SMS code to the staff member's phone and their password.

A session records the factors it proved (`prove`). Until a staff member's session has proved both,
`StaffFactorsMiddleware` hands the views that person without `is_staff` and `is_superuser`, so every
staff check (the admin's, /status's, any later one) refuses them; refused, they are sent to
/admin/login/, which asks for the factor still missing. Either factor may come first: the merchant
login (/login/) proves the SMS code, the admin's password form the password.

The password form is limited: after STAFF_LOGIN_MAX_FAILURES_PER_ACCOUNT wrong passwords for one
phone number, or STAFF_LOGIN_MAX_FAILURES_PER_ADDRESS from one client address, within a window of
STAFF_LOGIN_WINDOW_SECONDS, it answers 429 until the window ends, even to the right password.
"""

from __future__ import annotations

import copy
import logging
import math
import time

import structlog
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from dukaan.infra.clients import count_request, wait_text
from dukaan.infra.logs import masked_phone

from .models import User
from .services import LoginRefused, TooManyAttempts, normalize_phone

logger = logging.getLogger(__name__)

SMS, PASSWORD = "sms", "password"
STAFF_FACTORS = frozenset({SMS, PASSWORD})
# The factors this session's user proved. Django's login() empties the session when another user logs
# in, so the list never speaks for someone else.
SESSION_FACTORS = "accounts_factors"
# A password proved before the SMS code: [user id, when]. It counts for that user's code for OTP_TTL_SECONDS.
SESSION_PASSWORD_FOR = "accounts_password_for"

WRONG_PASSWORD = "That phone number and password do not match a staff account. Check both and try again."


def prove(request: HttpRequest, factor: str) -> None:
    proved = set(request.session.get(SESSION_FACTORS, ())) | {factor}
    request.session[SESSION_FACTORS] = sorted(proved)


def missing_factors(request: HttpRequest) -> frozenset[str]:
    """The factors a staff member still has to prove (all of them for a session that is not staff)."""
    user = request.user
    if not user.is_authenticated:
        return STAFF_FACTORS
    return getattr(user, "staff_factors_missing", frozenset())


def remember_password(request: HttpRequest, user: User) -> None:
    """The password was right but no one is logged in yet: the SMS code to `user`'s phone comes next."""
    request.session[SESSION_PASSWORD_FOR] = [user.pk, time.time()]


def password_proved_for(request: HttpRequest, user: User) -> bool:
    user_id, at = request.session.pop(SESSION_PASSWORD_FOR, None) or (None, 0)
    return user_id == user.pk and time.time() - at < settings.OTP_TTL_SECONDS


def _with_staff_rights_checked(request: HttpRequest, user):
    if not (user.is_authenticated and (user.is_staff or user.is_superuser)):
        return user
    missing = STAFF_FACTORS - set(request.session.get(SESSION_FACTORS, ()))
    if not missing:
        return user
    # A copy, so that the user loaded for this request keeps its real flags wherever else it is used.
    limited = copy.copy(user)
    limited.is_staff = limited.is_superuser = False
    # And none of the permissions given to them or their groups (ModelBackend reads these caches first).
    limited._perm_cache = limited._user_perm_cache = limited._group_perm_cache = set()
    limited.staff_factors_missing = frozenset(missing)
    return limited


class StaffFactorsMiddleware:
    """Staff rights only for a session that proved both factors; goes after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        request.user = SimpleLazyObject(lambda: _with_staff_rights_checked(request, user))
        return self.get_response(request)

    def process_exception(self, request, exception):
        # A staff-only page refused a staff member who has not proved both factors: ask for the other.
        if isinstance(exception, PermissionDenied) and getattr(request.user, "staff_factors_missing", None):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        return None


# --- The password, and its lock-out -------------------------------------------------------------------


def check_staff_password(*, phone: str, password: str, ip: str | None) -> User:
    """The staff member with this phone and password; LoginRefused if they do not match one,
    TooManyAttempts while the account or the client address is locked out."""
    try:
        account = normalize_phone(phone)
    except LoginRefused:
        account = None  # nobody's account: only the address counts this failure
    locks = [("account", account), ("address", ip or "unknown")]
    waits = [(kind, _locked_for(kind, ident)) for kind, ident in locks if ident]
    _refuse_if_locked(waits)
    user = authenticate(None, phone=account, password=password) if account else None
    if user is not None and user.is_staff:
        return user
    waits = [(kind, _count_failure(kind, ident)) for kind, ident in locks if ident]
    _refuse_if_locked(waits)
    raise LoginRefused(WRONG_PASSWORD)


_LIMITS = {
    "account": ("STAFF_LOGIN_MAX_FAILURES_PER_ACCOUNT", "for this account"),
    "address": ("STAFF_LOGIN_MAX_FAILURES_PER_ADDRESS", "from your network"),
}


def _lock_key(kind: str, ident: str) -> str:
    return f"staff-login-locked:{kind}:{ident}"


def _locked_for(kind: str, ident: str) -> int | None:
    until = cache.get(_lock_key(kind, ident))
    return max(1, math.ceil(until - time.time())) if until else None


def _count_failure(kind: str, ident: str) -> int | None:
    """Counts a wrong password; the one that reaches the limit locks the form for the rest of the window."""
    limit = getattr(settings, _LIMITS[kind][0])
    if limit <= 0:
        return None
    window = settings.STAFF_LOGIN_WINDOW_SECONDS
    # count_request lets `limit` through and refuses the next, so it is asked for one less: the
    # limit-th failure is the one that locks (a limit of 1 locks on the first for a whole window).
    wait = count_request(f"staff-login-{kind}", ident, limit - 1, window=window) if limit > 1 else window
    if wait is None:
        return None
    if cache.add(_lock_key(kind, ident), time.time() + wait, timeout=wait):
        shown = masked_phone(ident) if kind == "account" else ident
        with structlog.contextvars.bound_contextvars(
            lockout=kind, failures=limit, window_seconds=window, retry_after_seconds=wait
        ):
            logger.warning("staff login locked for %s %s after %d wrong passwords", kind, shown, limit)
    return wait


def _refuse_if_locked(waits: list[tuple[str, int | None]]) -> None:
    locked = [(wait, kind) for kind, wait in waits if wait]
    if locked:
        wait, kind = max(locked)
        raise TooManyAttempts(
            f"Too many wrong passwords {_LIMITS[kind][1]}. Try again in {wait_text(wait)}.",
            retry_after_seconds=wait,
        )
