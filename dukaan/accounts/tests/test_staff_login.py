"""Staff pages need two factors, the SMS code and the password, in either order; the password form locks
after too many wrong passwords, for the account and for the client address, even to the right one."""

import html
import io
import json
import logging

import pytest
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import Permission
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from dukaan.accounts.models import User
from dukaan.accounts.staff import StaffFactorsMiddleware
from dukaan.accounts.tests.helpers import code_sent_to, log_in_staff, move_codes_back
from dukaan.infra import logs

pytestmark = pytest.mark.django_db

STAFF_PHONE = "+919800000001"
PASSWORD = "a-long-staff-password"
# A window far longer than any test, so that no test straddles two of the fixed windows.
WINDOW = 10**9


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff_member():
    return User.objects.create_superuser(STAFF_PHONE, password=PASSWORD)


def text(response) -> str:
    return html.unescape(response.content.decode())


def answer(response) -> str:
    if response.status_code in (301, 302):
        return f"{response.status_code} {response['Location']}"
    return str(response.status_code)


def log_in_by_sms(client: Client, phone: str) -> None:
    """The merchant login: a code to the phone, entered on the code page."""
    assert client.post(reverse("accounts:login"), {"phone": phone}).status_code == 302
    assert client.post(reverse("accounts:verify"), {"code": code_sent_to(phone)}).status_code == 302


def enter_password(client: Client, password: str, phone: str = STAFF_PHONE, next_url: str = ""):
    query = f"?next={next_url}" if next_url else ""
    return client.post(f"/admin/login/{query}", {"phone": phone, "password": password})


# --- Two factors --------------------------------------------------------------------------------------


def test_the_sms_code_alone_does_not_open_staff_pages_and_the_password_is_asked_next(staff_member):
    client = Client()
    log_in_by_sms(client, STAFF_PHONE)

    assert answer(client.get("/admin/")) == "302 /admin/login/?next=/admin/"
    assert answer(client.get("/status")) == "302 /admin/login/?next=/status"
    asked = client.get("/admin/login/?next=/status")
    assert asked.status_code == 200 and "Confirm your password" in text(asked)
    assert 'name="phone"' not in text(asked)

    wrong = client.post("/admin/login/?next=/status", {"password": "not-the-password"})
    assert "do not match a staff account" in text(wrong)
    assert answer(client.get("/status")) == "302 /admin/login/?next=/status"
    assert answer(client.post("/admin/login/?next=/status", {"password": PASSWORD})) == "302 /status"

    assert client.get("/status").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_the_password_alone_does_not_open_staff_pages_and_the_sms_code_is_asked_next(staff_member):
    client = Client()

    assert answer(enter_password(client, PASSWORD, next_url="/status")) == "302 /login/verify/"

    assert "_auth_user_id" not in client.session
    assert answer(client.get("/admin/")) == "302 /admin/login/?next=/admin/"
    assert answer(client.get("/status")) == "302 /admin/login/?next=/status"
    entered = client.post(reverse("accounts:verify"), {"code": code_sent_to(STAFF_PHONE)})
    assert answer(entered) == "302 /status"
    assert client.get("/status").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_a_password_counts_only_for_the_code_of_the_same_staff_member(staff_member):
    User.objects.create_superuser("+919800000002", password="another-long-password")
    client = Client()
    enter_password(client, PASSWORD)

    # Someone else's number is entered instead: that session has the SMS code only.
    client.get(reverse("accounts:login"))
    log_in_by_sms(client, "+919800000002")

    assert answer(client.get("/admin/")) == "302 /admin/login/?next=/admin/"


def test_a_password_proved_long_before_the_code_no_longer_counts(staff_member, settings):
    client = Client()
    enter_password(client, PASSWORD)
    session = client.session
    user_id, at = session["accounts_password_for"]
    session["accounts_password_for"] = [user_id, at - settings.OTP_TTL_SECONDS]
    session.save()

    assert client.post(reverse("accounts:verify"), {"code": code_sent_to(STAFF_PHONE)}).status_code == 302

    assert answer(client.get("/admin/")) == "302 /admin/login/?next=/admin/"


def test_a_merchant_with_a_password_gets_no_staff_page(staff_member):
    User.objects.create_user("+919812345678", password="a-merchant-password")
    client = Client()

    refused = enter_password(client, "a-merchant-password", phone="+919812345678")

    assert refused.status_code == 200
    assert "That phone number and password do not match a staff account." in text(refused)
    assert answer(client.get("/admin/")) == "302 /admin/login/?next=/admin/"


def _sample_paths() -> list[str]:
    """A GET path for every named URL pattern of the URLconf, the admin's included, its arguments
    filled with the first placeholder the pattern accepts."""
    candidates = ("1", "accounts", "x")
    paths = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}:{pattern.namespace}" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}".lstrip(":")
                keys = list(pattern.pattern.regex.groupindex)
                for value in candidates:
                    try:
                        paths.add(reverse(name, kwargs=dict.fromkeys(keys, value)))
                        break
                    except NoReverseMatch:
                        continue

    walk(get_resolver().url_patterns, "")
    return sorted(paths)


def test_every_staff_url_of_the_urlconf_needs_both_factors(staff_member):
    """A staff URL is one where staff get another answer than a logged-in merchant; found by walking
    the URLconf, so a page added later is checked without being listed here."""
    full, merchant, sms_only, password_only, anonymous = (Client() for _ in range(5))
    log_in_staff(full, STAFF_PHONE, PASSWORD)
    merchant.force_login(User.objects.create_user("+919812345677"))
    User.objects.create_superuser("+919800000003", password=PASSWORD)
    log_in_by_sms(sms_only, "+919800000003")
    User.objects.create_superuser("+919800000004", password=PASSWORD)
    move_codes_back(60)  # the per-address resend and hourly limits are not what this test is about
    enter_password(password_only, PASSWORD, phone="+919800000004")

    staff_urls, problems = [], []
    for path in _sample_paths():
        if path == "/admin/login/":
            continue  # where the others are sent to
        staff_answer, merchant_answer = answer(full.get(path)), answer(merchant.get(path))
        if staff_answer == merchant_answer:
            continue
        staff_urls.append(path)
        sent_to_log_in = f"302 /admin/login/?next={path}"
        got = answer(sms_only.get(path))
        if got not in (merchant_answer, sent_to_log_in):
            problems.append((path, "SMS code only", got))
        got = answer(password_only.get(path))
        if got != answer(anonymous.get(path)):
            problems.append((path, "password only", got))

    assert {"/admin/", "/status", "/admin/accounts/user/", "/admin/accounts/logincode/"} <= set(staff_urls)
    assert not problems, problems


# --- The password's lock-out --------------------------------------------------------------------------


@pytest.fixture
def captured():
    """What the root logger wrote through the JSON formatter during a test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def lockouts(stream) -> list[dict]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in lines if line.get("logger") == "dukaan.accounts.staff"]


def assert_locked(response, message: str) -> int:
    assert response.status_code == 429, response.status_code
    wait = int(response["Retry-After"])
    assert 1 <= wait <= WINDOW
    assert message in text(response)
    assert "Try again in" in text(response)
    return wait


@override_settings(
    STAFF_LOGIN_MAX_FAILURES_PER_ACCOUNT=3,
    STAFF_LOGIN_MAX_FAILURES_PER_ADDRESS=100,
    STAFF_LOGIN_WINDOW_SECONDS=WINDOW,
)
def test_wrong_passwords_lock_the_account_even_to_the_right_password_with_one_log_line(
    staff_member, captured
):
    guesser = Client(REMOTE_ADDR="203.0.113.50")
    for _ in range(2):
        wrong = enter_password(guesser, "guess-password")
        assert wrong.status_code == 200 and "do not match a staff account" in text(wrong)

    locking = enter_password(guesser, "guess-password")
    owner = Client(REMOTE_ADDR="198.51.100.50")
    right = enter_password(owner, PASSWORD)

    assert_locked(locking, "Too many wrong passwords for this account.")
    assert_locked(right, "Too many wrong passwords for this account.")
    assert "_auth_user_id" not in owner.session and "accounts_password_for" not in owner.session
    assert assert_locked(enter_password(guesser, "guess-password"), "for this account")
    # Another account from the same address is not locked.
    User.objects.create_superuser("+919800000005", password=PASSWORD)
    assert answer(enter_password(guesser, PASSWORD, phone="+919800000005")) == "302 /login/verify/"

    [line] = lockouts(captured)
    assert line["level"] == "warning" and line["lockout"] == "account"
    assert line["failures"] == 3 and 1 <= line["retry_after_seconds"] <= WINDOW
    assert "******0001" in line["event"]
    for secret in (PASSWORD, "guess-password", STAFF_PHONE, "9800000001"):
        assert secret not in captured.getvalue()


@override_settings(
    STAFF_LOGIN_MAX_FAILURES_PER_ACCOUNT=100,
    STAFF_LOGIN_MAX_FAILURES_PER_ADDRESS=3,
    STAFF_LOGIN_WINDOW_SECONDS=WINDOW,
)
def test_wrong_passwords_for_many_accounts_from_one_address_lock_that_address(staff_member, captured):
    guesser = Client(REMOTE_ADDR="203.0.113.51")
    for last in range(2):
        assert enter_password(guesser, "guess-password", phone=f"+91981234560{last}").status_code == 200

    assert_locked(enter_password(guesser, "guess-password", phone="+919812345609"), "from your network")
    assert_locked(enter_password(guesser, PASSWORD), "Too many wrong passwords from your network.")

    # The staff member, on another network, logs in.
    assert answer(enter_password(Client(REMOTE_ADDR="198.51.100.51"), PASSWORD)) == "302 /login/verify/"
    [line] = lockouts(captured)
    assert line["lockout"] == "address" and "203.0.113.51" in line["event"]


@override_settings(
    STAFF_LOGIN_MAX_FAILURES_PER_ACCOUNT=2,
    STAFF_LOGIN_MAX_FAILURES_PER_ADDRESS=100,
    STAFF_LOGIN_WINDOW_SECONDS=WINDOW,
)
def test_someone_with_the_staff_members_sms_code_cannot_guess_the_password(staff_member):
    swapped_sim = Client(REMOTE_ADDR="203.0.113.52")
    log_in_by_sms(swapped_sim, STAFF_PHONE)

    swapped_sim.post("/admin/login/", {"password": "guess-one"})
    assert_locked(swapped_sim.post("/admin/login/", {"password": "guess-two"}), "for this account")
    assert_locked(swapped_sim.post("/admin/login/", {"password": PASSWORD}), "for this account")

    assert answer(swapped_sim.get("/admin/")) == "302 /admin/login/?next=/admin/"


def test_a_staff_member_without_a_password_is_told_how_to_get_one():
    User.objects.create_user(STAFF_PHONE, is_staff=True)
    client = Client()
    log_in_by_sms(client, STAFF_PHONE)

    asked = client.get(client.get("/admin/")["Location"])

    assert "Your account has no password yet." in text(asked)
    assert f"dukaan changepassword {STAFF_PHONE}" in text(asked)


def test_a_staff_session_from_before_two_factors_proves_both_again(staff_member):
    client = Client()
    client.force_login(staff_member)  # as a session made before this change: no factor recorded

    assert answer(client.get("/admin/")) == "302 /admin/login/?next=/admin/"
    asked = text(client.get("/admin/login/?next=/admin/"))
    assert "Staff login" in asked and "not a staff account" not in asked
    assert answer(enter_password(client, PASSWORD, next_url="/admin/")) == "302 /login/verify/"
    entered = client.post(reverse("accounts:verify"), {"code": code_sent_to(STAFF_PHONE)})

    assert answer(entered) == "302 /admin/"
    assert client.get("/admin/").status_code == 200


def test_staff_with_one_factor_have_none_of_their_permissions(staff_member, rf):
    staff_member.is_superuser = False
    staff_member.save()
    staff_member.user_permissions.add(Permission.objects.get(codename="view_logincode"))
    client = Client()
    log_in_by_sms(client, STAFF_PHONE)

    def user_of(client):
        """request.user as a view behind the middleware would see it, for `client`'s session."""
        request = rf.get("/")
        request.COOKIES = {key: morsel.value for key, morsel in client.cookies.items()}
        seen = []
        chain = SessionMiddleware(AuthenticationMiddleware(StaffFactorsMiddleware(seen.append)))
        chain(request)
        return seen[0].user

    sms_only = user_of(client)
    assert not sms_only.is_staff and not sms_only.has_perm("accounts.view_logincode")
    client.post("/admin/login/", {"password": PASSWORD})
    both = user_of(client)
    assert both.is_staff and both.has_perm("accounts.view_logincode")
