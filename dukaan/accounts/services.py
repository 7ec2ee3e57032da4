"""Logging in by phone number and one-time code: asking for a code, checking it, making the merchant.

Every refusal is a `LoginRefused` whose message a person can act on; views show it as a form error.
"""

import hashlib
import hmac
import logging
import math
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from dukaan.infra.clients import wait_text
from dukaan.infra.logs import masked_phone
from dukaan.infra.metrics import LOGIN_CODES
from dukaan.infra.sms import SmsNotSent, get_sms_backend

from . import audit
from .models import ApiToken, AuditEntry, LoginCode, User
from .roles import SCOPES, Role
from .scopes import STANDARD_SCOPES, Scope

logger = logging.getLogger(__name__)

# A catalog.Store, which accounts (a layer below catalog) may not import. Not models.Model nor a
# Protocol: django-stubs checks the value given for ApiToken.store and AuditEntry.store to be a Store.
StoreRow = Any

CODE_DIGITS = 6
HOUR = timedelta(hours=1)
_MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
_INVALID_PHONE = gettext_lazy(
    "That doesn't look like a valid mobile number. Include the country code, e.g. +91 98123 45678."
)
# Numbers that cannot take an SMS, or that would bill us (premium, shared cost): what to call them.
_NOT_MOBILE = {
    phonenumbers.PhoneNumberType.FIXED_LINE: gettext_lazy("a landline"),
    phonenumbers.PhoneNumberType.PREMIUM_RATE: gettext_lazy("a premium-rate number"),
    phonenumbers.PhoneNumberType.TOLL_FREE: gettext_lazy("a toll-free number"),
    phonenumbers.PhoneNumberType.SHARED_COST: gettext_lazy("a shared-cost number"),
    phonenumbers.PhoneNumberType.VOIP: gettext_lazy("an internet (VoIP) number"),
}


class LoginRefused(Exception):
    """A login step was refused; `message` says why and what to do next."""

    def __init__(self, message: str, *, retry_after_seconds: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_seconds = retry_after_seconds


class TooManyAttempts(LoginRefused):
    """A login step over one of the OTP_* limits: the same step works again after `retry_after_seconds`."""

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message, retry_after_seconds=retry_after_seconds)


def normalize_phone(raw: str) -> str:
    """The E.164 form of a mobile number typed any usual way ("98123 45678", "+91-98123-45678")."""
    raw = (raw or "").strip()
    if not raw or len(raw) > 32:
        raise LoginRefused(str(_INVALID_PHONE))
    try:
        number = phonenumbers.parse(raw, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as error:
        raise LoginRefused(str(_INVALID_PHONE)) from error
    if not phonenumbers.is_valid_number(number):
        raise LoginRefused(str(_INVALID_PHONE))
    kind = phonenumbers.number_type(number)
    if kind not in _MOBILE_TYPES:
        what = _NOT_MOBILE.get(kind, gettext_lazy("a number that is not a mobile"))
        raise LoginRefused(
            _("That looks like %(what)s. Enter a mobile number that can receive SMS.") % {"what": what}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(phone: str) -> str:
    """An E.164 number written the way people read it, e.g. "+91 98123 45678"."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def request_login_code(*, phone: str, ip: str | None) -> LoginCode:
    """Send a fresh code to `phone` by SMS, within the resend and hourly limits, and return its row.

    The SMS goes out after the row is committed and outside any transaction: a slow provider must
    not hold the database's write lock. If sending fails the row is deleted again, so a code that
    never arrived neither works nor counts against the limits.
    """
    phone = normalize_phone(phone)
    backend = get_sms_backend()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    try:
        login_code = _create_login_code(phone=phone, ip=ip, code=code)
    except LoginRefused:
        LOGIN_CODES.labels("refused").inc()
        raise
    try:
        backend.send(to=phone, text=_sms_text(code))
    except SmsNotSent as error:
        logger.warning("login code SMS to %s not sent: %s", masked_phone(phone), error.message)
        LOGIN_CODES.labels("not_sent").inc()
        login_code.delete()  # a code that never went out does not count against the limits
        seconds = error.retry_after_seconds
        wait = wait_text(seconds) if seconds else _("a minute")
        raise LoginRefused(
            _("We couldn't send the SMS just now. Please try again in %(wait)s.") % {"wait": wait},
            retry_after_seconds=seconds or 60,
        ) from error
    # Only now that the new code has gone out do the older ones stop working.
    now = timezone.now()
    LoginCode.objects.filter(
        phone=phone, used_at__isnull=True, expires_at__gt=now, created_at__lte=login_code.created_at
    ).exclude(pk=login_code.pk).update(expires_at=now)
    logger.info("login code sent to %s", masked_phone(phone))
    LOGIN_CODES.labels("sent").inc()
    return login_code


@transaction.atomic
def _create_login_code(*, phone: str, ip: str | None, code: str) -> LoginCode:
    now = timezone.now()
    _refuse_if_over_limits(phone=phone, ip=ip, now=now)
    return LoginCode.objects.create(
        phone=phone,
        code_hash=_hash_code(phone=phone, code=code),
        ip=ip,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
    )


def _refuse_if_over_limits(*, phone: str, ip: str | None, now: datetime) -> None:
    latest = LoginCode.objects.filter(phone=phone).order_by("-created_at").first()
    if latest is not None:
        wait = latest.created_at + timedelta(seconds=settings.OTP_RESEND_SECONDS) - now
        if wait > timedelta(0):
            seconds = math.ceil(wait.total_seconds())
            raise TooManyAttempts(
                ngettext(
                    "We just sent you a code. Please wait %(count)d second before asking for a new one.",
                    "We just sent you a code. Please wait %(count)d seconds before asking for a new one.",
                    seconds,
                )
                % {"count": seconds},
                retry_after_seconds=seconds,
            )
    _refuse_if_too_many(
        LoginCode.objects.filter(phone=phone, created_at__gt=now - HOUR),
        limit=settings.OTP_MAX_PER_PHONE_PER_HOUR,
        now=now,
        message=_("You have asked for too many codes for this number."),
    )
    if ip:
        _refuse_if_too_many(
            LoginCode.objects.filter(ip=ip, created_at__gt=now - HOUR),
            limit=settings.OTP_MAX_PER_IP_PER_HOUR,
            now=now,
            message=_("Too many codes have been asked for from your network."),
        )
    # SMS pumping spreads over many numbers of one (often premium) range and many addresses.
    _refuse_if_too_many(
        LoginCode.objects.filter(phone__startswith=_number_range(phone), created_at__gt=now - HOUR),
        limit=settings.OTP_MAX_PER_PREFIX_PER_HOUR,
        now=now,
        message=_("Too many codes have been asked for numbers like yours."),
    )
    _guesses_left(phone=phone, now=now)


def _number_range(phone: str) -> str:
    """The first OTP_PREFIX_DIGITS digits of an E.164 number, country code included: "+9198123"."""
    return phone[: 1 + settings.OTP_PREFIX_DIGITS]


def _refuse_if_too_many(recent: QuerySet[LoginCode], *, limit: int, now: datetime, message: str) -> None:
    created = list(recent.order_by("-created_at").values_list("created_at", flat=True)[:limit])
    if len(created) < limit:
        return
    # A slot frees up when the oldest of the last `limit` codes leaves the one-hour window.
    seconds = max(1, math.ceil((created[-1] + HOUR - now).total_seconds()))
    again = _("Try again in %(wait)s.") % {"wait": wait_text(seconds)}
    raise TooManyAttempts(f"{message} {again}", retry_after_seconds=seconds)


def _guesses_left(*, phone: str, now: datetime) -> int:
    """Wrong codes `phone` may still try this hour, across all its codes, so asking for a new code
    does not reset the budget; refused with the wait when none are left."""
    limit = settings.OTP_MAX_WRONG_TRIES_PER_PHONE_PER_HOUR
    recent = LoginCode.objects.filter(phone=phone, created_at__gt=now - HOUR, failed_attempts__gt=0)
    used = 0
    for created_at, failed in recent.order_by("-created_at").values_list("created_at", "failed_attempts"):
        used += failed
        if used >= limit:
            # Tries are freed when the code they were made on leaves the one-hour window.
            seconds = max(1, math.ceil((created_at + HOUR - now).total_seconds()))
            raise TooManyAttempts(
                _("Too many wrong codes have been tried for this number. Try again in %(wait)s.")
                % {"wait": wait_text(seconds)},
                retry_after_seconds=seconds,
            )
    return limit - used


def verify_login_code(*, phone: str, code: str) -> User:
    """The merchant for `phone` if `code` is its latest live code; creates the merchant on first login."""
    phone = normalize_phone(phone)
    code = re.sub(r"\s+", "", code or "")
    if not re.fullmatch(rf"\d{{{CODE_DIGITS}}}", code):
        raise LoginRefused(_("Enter the %(digits)d-digit code from the SMS.") % {"digits": CODE_DIGITS})
    now = timezone.now()
    _guesses_left(phone=phone, now=now)
    login_code = LoginCode.objects.filter(phone=phone).order_by("-created_at", "-pk").first()
    if login_code is None or login_code.used_at is not None:
        raise LoginRefused(_("There is no code waiting for this number. Ask for a new code."))
    if login_code.expires_at <= now:
        raise LoginRefused(_("That code has expired. Ask for a new code."))
    if login_code.failed_attempts >= settings.OTP_MAX_TRIES:
        raise _code_used_up(login_code, now=now)
    if not hmac.compare_digest(login_code.code_hash, _hash_code(phone=phone, code=code)):
        # Counted in its own statement, outside any transaction that this refusal would roll back.
        tries_left = min(_count_wrong_try(login_code), _guesses_left(phone=phone, now=now))
        if tries_left <= 0:
            raise _code_used_up(login_code, now=now)
        raise LoginRefused(
            ngettext(
                "That code is not right. You have %(count)d try left.",
                "That code is not right. You have %(count)d tries left.",
                tries_left,
            )
            % {"count": tries_left}
        )
    return _log_in_with(login_code=login_code, now=now)


def _code_used_up(login_code: LoginCode, *, now: datetime) -> TooManyAttempts:
    """A code out of tries is a limit like the others: it says when a new code can be asked for."""
    wait = login_code.created_at + timedelta(seconds=settings.OTP_RESEND_SECONDS) - now
    seconds = math.ceil(wait.total_seconds())
    if seconds > 0:
        text = _("Too many wrong tries. Ask for a new code in %(wait)s.") % {"wait": wait_text(seconds)}
    else:
        text = _("Too many wrong tries. Ask for a new code.")
    return TooManyAttempts(text, retry_after_seconds=max(1, seconds))


def _count_wrong_try(login_code: LoginCode) -> int:
    max_tries = settings.OTP_MAX_TRIES
    # The condition in the UPDATE keeps parallel guesses from running past the limit.
    counted = LoginCode.objects.filter(pk=login_code.pk, failed_attempts__lt=max_tries).update(
        failed_attempts=F("failed_attempts") + 1
    )
    if not counted:
        return 0
    login_code.refresh_from_db(fields=["failed_attempts"])
    return max(0, max_tries - login_code.failed_attempts)


@transaction.atomic
def _log_in_with(*, login_code: LoginCode, now: datetime) -> User:
    # Marking the code used is conditional, so two requests with the same code cannot both log in.
    used = LoginCode.objects.filter(
        pk=login_code.pk,
        used_at__isnull=True,
        expires_at__gt=now,
        failed_attempts__lt=settings.OTP_MAX_TRIES,
    ).update(used_at=now)
    if not used:
        raise LoginRefused(_("That code can't be used any more. Ask for a new code."))
    user = _merchant_for(login_code.phone)
    if not user.is_active:
        raise LoginRefused(_("This account has been switched off. Please contact Dukaan support."))
    return user


def _merchant_for(phone: str) -> User:
    user = User.objects.filter(phone=phone).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            created: User = User.objects.create_user(phone)
    except IntegrityError:
        # Another request created this merchant between our read and our insert.
        return User.objects.get(phone=phone)
    logger.info("new merchant %s", masked_phone(phone))
    return created


def _hash_code(*, phone: str, code: str) -> str:
    message = f"dukaan.login-code|{phone}|{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _sms_text(code: str) -> str:
    return _("Your Dukaan login code is %(code)s. It expires in %(wait)s.") % {
        "code": code,
        "wait": wait_text(settings.OTP_TTL_SECONDS),
    }


# --- API tokens -----------------------------------------------------------------------------------

API_TOKEN_PREFIX = "dk_"
MAX_ACTIVE_API_TOKENS = 20


def _token_digest(raw: str) -> str:
    # A random 256-bit token needs no slow hash: nothing about it can be guessed from a fast one.
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_api_token(
    *,
    store: StoreRow,
    name: str,
    scopes: Iterable[str] = STANDARD_SCOPES,
    created_by: User | None = None,
    role: Role = Role.OWNER,
) -> tuple[ApiToken, str]:
    """Make a token for `store` that may do `scopes`, made by `created_by` whose role is `role`; returns
    the row and the raw token, which is never stored or shown again. PermissionDenied for a scope
    beyond the role."""
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationError(_("Name the token (up to 60 characters) after what will use it, e.g. “POS”."))
    chosen = set(scopes)
    unknown = sorted(str(scope) for scope in chosen if scope not in set(Scope))
    if unknown:
        known = ", ".join(Scope)
        raise ValidationError(
            _("There is no scope %(unknown)s. The scopes are: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": known}
        )
    if not chosen:
        raise ValidationError(_("Choose at least one thing the token may do."))
    beyond = sorted(str(scope) for scope in chosen if scope not in SCOPES[role])
    if beyond:
        raise PermissionDenied(
            _("As %(role)s you cannot make a token with %(scopes)s. Your role allows: %(allowed)s.")
            % {
                "role": role.label,
                "scopes": ", ".join(beyond),
                "allowed": ", ".join(str(s) for s in Scope if s in SCOPES[role]),
            }
        )
    if ApiToken.objects.filter(store=store, revoked_at__isnull=True).count() >= MAX_ACTIVE_API_TOKENS:
        raise ValidationError(
            f"A store can have at most {MAX_ACTIVE_API_TOKENS} tokens. Revoke one you no longer use."
        )
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        store=store,
        name=name,
        prefix=raw[:10],
        token_hash=_token_digest(raw),
        scopes=[str(scope) for scope in Scope if scope in chosen],
        created_by=created_by,
        role=role,
    )
    return token, raw


def revoke_api_token(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def authenticate_api_token(raw: str) -> ApiToken | None:
    """The live token for a raw bearer token, with its store; None for unknown or revoked ones."""
    if not raw or not raw.startswith(API_TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.select_related("store")
        .filter(token_hash=_token_digest(raw), revoked_at__isnull=True)
        .first()
    )
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            # At most one write a minute per token, not one per request.
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def token_actor(token: ApiToken) -> str:
    """A token as a payment's or refund's `by` keeps it (the audit log keeps an audit.Actor)."""
    return audit.TOKEN_WORDS % {"name": token.name, "prefix": token.prefix}


def dashboard_actor(user: User) -> str:
    return f"{format_phone(user.phone)} in the dashboard"


# --- The audit trail of payment details ----------------------------------------------------------


def masked(value: str) -> str:
    """The last 4 characters, enough to recognise a UPI ID or a number without handing it out."""
    value = value or ""
    if not value:
        return audit.NONE
    return "…" + value[-4:] if len(value) > 4 else "…" + value[-2:]


def record_payment_detail_changes(
    *, store: StoreRow, actor: audit.Actor, changes: Iterable[tuple[str, str, str]]
) -> list[AuditEntry]:
    """Write one audit entry per (field, old, new), values masked. Call it inside the
    transaction that makes the change, so no change is ever saved without its entry."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_payment_detail_changes() must run in the change's transaction")
    now = timezone.now()
    return [
        AuditEntry.objects.create(
            store=store,
            **actor.columns(),
            field=field,
            old_value=masked(old),
            new_value=masked(new),
            created_at=now,
        )
        for field, old, new in changes
    ]


def alert_owner_of_changes(*, entry_ids: Iterable[int]) -> int:
    """Text the store's owner, on their own login phone, about each entry not yet alerted; returns how
    many. The conditional UPDATE claims an entry once, so a redelivered or replayed event, or two
    workers, do not text twice. Run it inside the consumer's transaction: a failed send rolls the
    claim back and the event is retried."""
    sent = 0
    entries = AuditEntry.objects.filter(pk__in=list(entry_ids), owner_alerted_at__isnull=True)
    for entry in entries.select_related("store__owner").order_by("pk"):
        claimed = AuditEntry.objects.filter(pk=entry.pk, owner_alerted_at__isnull=True).update(
            owner_alerted_at=timezone.now()
        )
        if not claimed:
            continue
        # In the store's language, as every message to the shopkeeper (notifications.consumers).
        with translation.override(entry.store.language):
            text = _change_alert_text(entry)
        get_sms_backend().send(to=entry.store.owner.phone, text=text)
        sent += 1
    return sent


def _change_alert_text(entry: AuditEntry) -> str:
    line = audit.line(entry)
    what = {"label": line.what, "store": entry.store.name, "actor": line.by, "new": line.new}
    if entry.new_value == audit.NONE:
        change = _("Dukaan: the %(label)s of %(store)s was removed by %(actor)s.") % what
    else:
        change = _("Dukaan: the %(label)s of %(store)s was changed to %(new)s by %(actor)s.") % what
    advice = _("Not you? Open your dashboard now: check Store settings and revoke unknown API tokens.")
    return f"{change} {advice}"


# --- The merchant's own language ----------------------------------------------------------------


class LanguageRefused(ValueError):
    """A language this site does not speak."""


def set_user_language(*, user: User, language: str) -> User:
    """The language the dashboard speaks to `user` from now on: one of settings.LANGUAGES."""
    if language not in dict(settings.LANGUAGES):
        raise LanguageRefused(language)
    user.language = language
    user.save(update_fields=["language"])
    return user
