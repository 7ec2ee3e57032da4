"""Attacks on login by one-time code, through the login pages: each is limited, with the limit from
the settings, answered 429 with Retry-After, and the rightful owner can still log in afterwards.

(There is no login through the API: it takes store tokens made in the dashboard, and guessing
tokens is limited per address in dukaan/api/tests/test_rate_limits.py.)
"""

import html
import re

import phonenumbers
import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from prometheus_client import REGISTRY

from dukaan.accounts.models import LoginCode, User
from dukaan.accounts.tests.helpers import code_sent_to, move_codes_back, wrong_code_for
from dukaan.catalog.services import create_store
from dukaan.infra.sms import latest_console_message

pytestmark = pytest.mark.django_db

PHONE = "+919812345678"
HOUR = 3600


def client_from(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip)


def ask_for_code(client: Client, phone: str):
    return client.post(reverse("accounts:login"), {"phone": phone})


def enter_code(client: Client, code: str):
    return client.post(reverse("accounts:verify"), {"code": code})


def text(response) -> str:
    return html.unescape(response.content.decode())


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def refused_codes() -> float:
    return REGISTRY.get_sample_value("dukaan_login_codes_total", {"outcome": "refused"}) or 0.0


def assert_limited(response, message: str) -> int:
    """The answer is a 429 that says what happened and when to come back; returns the wait."""
    assert response.status_code == 429, response.status_code
    wait = int(response["Retry-After"])
    assert wait >= 1
    assert message in text(response)
    assert re.search(r"Try again in \d+ (second|minute)s?\.", text(response)), text(response)
    return wait


@override_settings(OTP_MAX_TRIES=3)
def test_a_code_dies_after_the_configured_number_of_wrong_tries():
    guesser = client_from("203.0.113.10")
    ask_for_code(guesser, PHONE)
    right = code_sent_to(PHONE)

    answers = [text(enter_code(guesser, wrong_code_for(PHONE))) for _ in range(3)]

    assert "You have 2 tries left." in answers[0] and "You have 1 try left." in answers[1]
    assert "Too many wrong tries. Ask for a new code" in answers[2]
    response = enter_code(guesser, right)
    assert "Too many wrong tries. Ask for a new code" in text(response)
    assert not logged_in(guesser)


@override_settings(OTP_MAX_TRIES=3, OTP_MAX_WRONG_TRIES_PER_PHONE_PER_HOUR=4)
def test_asking_for_new_codes_does_not_reset_the_wrong_tries_a_number_has_per_hour():
    guesser = client_from("203.0.113.11")
    ask_for_code(guesser, PHONE)
    for _ in range(3):
        enter_code(guesser, wrong_code_for(PHONE))
    move_codes_back(31, phone=PHONE)
    guesser.post(reverse("accounts:verify"), {"resend": "1"})
    fresh = code_sent_to(PHONE)

    # One wrong try on the new code uses up the number's budget of 4.
    assert "Too many wrong codes" in text(enter_code(guesser, wrong_code_for(PHONE)))
    wait = assert_limited(enter_code(guesser, fresh), "Too many wrong codes have been tried for this number.")
    # The budget frees up when the first code's 3 tries leave the hour, 31 seconds early.
    assert HOUR - 35 <= wait <= HOUR - 31
    assert not logged_in(guesser)
    move_codes_back(31, phone=PHONE)
    refused = refused_codes()
    resend = guesser.post(reverse("accounts:verify"), {"resend": "1"})
    assert_limited(resend, "Too many wrong codes have been tried for this number.")
    assert refused_codes() == refused + 1

    # An hour later the owner asks for a code and logs in.
    move_codes_back(HOUR, phone=PHONE)
    owner = client_from("198.51.100.20")
    assert ask_for_code(owner, PHONE).status_code == 302
    assert enter_code(owner, code_sent_to(PHONE)).status_code == 302
    assert logged_in(owner)


def _sql_shapes(queries) -> list[str]:
    """The statements run, with every literal (phones, hashes, times, ids, savepoints) blanked out."""
    shapes = []
    for query in queries:
        sql = re.sub(r'"s\d+_x\d+"', "SAVEPOINT", query["sql"])
        shapes.append(re.sub(r"\b\d+\b", "N", re.sub(r"'[^']*'", "?", sql)))
    return shapes


def _answer_for(phone: str, ip: str) -> tuple:
    client = client_from(ip)
    with CaptureQueriesContext(connection) as asked:
        asked_response = ask_for_code(client, phone)
    with CaptureQueriesContext(connection) as entered:
        entered_response = enter_code(client, wrong_code_for(phone))
    shown = phonenumbers.format_number(
        phonenumbers.parse(phone), phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return (
        asked_response.status_code,
        asked_response.get("Location"),
        entered_response.status_code,
        # The page names the number and echoes the code typed; the rest must be the same for both.
        re.sub(r'value="[^"]*"', 'value=""', text(entered_response).replace(shown, "NUMBER")),
        _sql_shapes(asked.captured_queries),
        _sql_shapes(entered.captured_queries),
    )


def test_the_answers_do_not_tell_whether_a_number_has_an_account_or_a_store():
    merchant = User.objects.create_user("+919812345601")
    create_store(owner=merchant, name="Asha", slug="asha", whatsapp="+919812345601")

    known = _answer_for("+919812345601", "203.0.113.12")
    unknown = _answer_for("+919812345602", "203.0.113.13")

    names = [
        "status of asking",
        "redirect",
        "status of a wrong code",
        "page",
        "SQL of asking",
        "SQL of a wrong code",
    ]
    for name, for_known, for_unknown in zip(names, known, unknown, strict=True):
        assert for_known == for_unknown, f"the {name} differs for a known number"
    assert known[2] == 200 and known[1] == reverse("accounts:verify")
    assert not any("accounts_user" in statement for statement in known[4] + known[5])


@override_settings(OTP_MAX_PER_IP_PER_HOUR=3)
def test_one_address_asking_codes_for_many_numbers_is_stopped(sms_log):
    pumper = client_from("203.0.113.14")
    for last in range(3):
        assert ask_for_code(pumper, f"+91981234560{last}").status_code == 302
    refused = refused_codes()

    response = ask_for_code(pumper, "+919812345609")

    assert_limited(response, "Too many codes have been asked for from your network.")
    assert refused_codes() == refused + 1
    assert latest_console_message("+919812345609") is None
    assert LoginCode.objects.count() == 3
    # The owner of that number, on their own network, is not held back by someone else's address.
    owner = client_from("198.51.100.21")
    assert ask_for_code(owner, "+919812345609").status_code == 302
    assert enter_code(owner, code_sent_to("+919812345609")).status_code == 302


@override_settings(OTP_PREFIX_DIGITS=7, OTP_MAX_PER_PREFIX_PER_HOUR=3, OTP_MAX_PER_IP_PER_HOUR=100)
def test_many_numbers_of_one_range_from_many_addresses_are_stopped():
    # +91 98123 4xxxx: the same first 7 digits, each asked for from a different address.
    for last in range(3):
        assert ask_for_code(client_from(f"203.0.113.{20 + last}"), f"+91981234000{last}").status_code == 302
    refused = refused_codes()

    response = ask_for_code(client_from("203.0.113.30"), "+919812340009")

    assert_limited(response, "Too many codes have been asked for numbers like yours.")
    assert refused_codes() == refused + 1
    assert latest_console_message("+919812340009") is None
    # Another range is not affected, and the range opens again after the hour.
    assert ask_for_code(client_from("203.0.113.31"), "+919712340009").status_code == 302
    move_codes_back(HOUR, phone__startswith="+9198123")
    assert ask_for_code(client_from("203.0.113.32"), "+919812340009").status_code == 302


@pytest.mark.parametrize(
    "region, kind, named",
    [
        ("GB", phonenumbers.PhoneNumberType.PREMIUM_RATE, "a premium-rate number"),
        ("IN", phonenumbers.PhoneNumberType.SHARED_COST, "a shared-cost number"),
        ("GB", phonenumbers.PhoneNumberType.TOLL_FREE, "a toll-free number"),
        ("GB", phonenumbers.PhoneNumberType.VOIP, "an internet (VoIP) number"),
        ("GB", phonenumbers.PhoneNumberType.FIXED_LINE, "a landline"),
        ("GB", phonenumbers.PhoneNumberType.PAGER, "a number that is not a mobile"),
    ],
)
def test_numbers_that_cannot_take_an_sms_or_cost_money_get_no_code(region, kind, named):
    number = phonenumbers.example_number_for_type(region, kind)
    typed = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    response = ask_for_code(client_from("203.0.113.40"), typed)

    assert response.status_code == 200
    assert f"That looks like {named}. Enter a mobile number that can receive SMS." in text(response)
    assert LoginCode.objects.count() == 0
    assert latest_console_message(typed) is None


@override_settings(OTP_MAX_TRIES=3, OTP_RESEND_SECONDS=30)
def test_a_code_used_up_by_wrong_tries_is_a_429_that_says_when_a_new_code_can_be_asked():
    guesser = client_from("203.0.113.15")
    ask_for_code(guesser, PHONE)
    right = code_sent_to(PHONE)
    for _ in range(2):
        assert enter_code(guesser, wrong_code_for(PHONE)).status_code == 200

    last_wrong = enter_code(guesser, wrong_code_for(PHONE))
    after = enter_code(guesser, right)

    for response in (last_wrong, after):
        assert response.status_code == 429
        wait = int(response["Retry-After"])
        assert 1 <= wait <= 30
        assert f"Too many wrong tries. Ask for a new code in {wait} seconds." in text(response)
    assert not logged_in(guesser)
    # Once the resend wait is over the page says so, and a new code logs the owner in.
    move_codes_back(31, phone=PHONE)
    response = enter_code(guesser, right)
    assert response.status_code == 429 and response["Retry-After"] == "1"
    assert "Too many wrong tries. Ask for a new code." in text(response)
    assert guesser.post(reverse("accounts:verify"), {"resend": "1"}).status_code == 302
    assert enter_code(guesser, code_sent_to(PHONE)).status_code == 302
    assert logged_in(guesser)
