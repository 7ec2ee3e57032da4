"""Asking for a login code and checking it: limits, expiry, wrong tries, hashing, first login."""

import hashlib
import hmac
import re

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from dukaan.accounts.models import LoginCode, User
from dukaan.accounts.services import LoginRefused, normalize_phone, request_login_code, verify_login_code
from dukaan.accounts.tests.helpers import closed_port, code_sent_to, move_codes_back, wrong_code_for
from dukaan.infra.sms import latest_console_message

PHONE = "+919812345678"
IP = "203.0.113.7"


def refusal(*, phone: str, ip: str) -> LoginRefused:
    """What request_login_code refuses with; the test fails if it sends a code."""
    with pytest.raises(LoginRefused) as refused:
        request_login_code(phone=phone, ip=ip)
    return refused.value


@pytest.mark.parametrize(
    "typed", ["98123 45678", "9812345678", "+91 98123 45678", "+91-98123-45678", " 098123 45678 "]
)
def test_a_mobile_number_typed_any_usual_way_becomes_e164(typed):
    assert normalize_phone(typed) == PHONE


def test_a_number_with_another_country_code_keeps_it():
    assert normalize_phone("+44 7911 123456") == "+447911123456"


@pytest.mark.parametrize(
    "typed", ["", "12345", "not a number", "+91 55555 55555", "98123 456789", "+999 1234567", "9" * 40]
)
def test_invalid_phone_numbers_are_refused_with_how_to_fix_it(typed):
    with pytest.raises(LoginRefused) as refused:
        normalize_phone(typed)
    assert refused.value.message == (
        "That doesn't look like a valid mobile number. Include the country code, e.g. +91 98123 45678."
    )


def test_a_landline_is_refused_because_it_cannot_receive_sms():
    with pytest.raises(LoginRefused, match="landline"):
        normalize_phone("011 2345 6789")


@pytest.mark.django_db
def test_asking_for_a_code_sends_it_by_sms():
    request_login_code(phone="98123 45678", ip=IP)

    code = code_sent_to(PHONE)
    assert latest_console_message(PHONE) == f"Your Dukaan login code is {code}. It expires in 5 minutes."


@pytest.mark.django_db
def test_codes_are_stored_as_an_hmac_never_in_plaintext():
    login_code = request_login_code(phone=PHONE, ip=IP)
    code = code_sent_to(PHONE)

    row = LoginCode.objects.filter(pk=login_code.pk).values().get()
    assert not any(code in str(value) for value in row.values())
    expected = hmac.new(
        settings.SECRET_KEY.encode(), f"dukaan.login-code|{PHONE}|{code}".encode(), hashlib.sha256
    ).hexdigest()
    assert row["code_hash"] == expected


@pytest.mark.django_db
def test_the_same_code_for_two_phones_hashes_differently():
    request_login_code(phone=PHONE, ip=IP)
    other = "+919812300001"
    request_login_code(phone=other, ip=IP)
    LoginCode.objects.filter(phone=other).update(code_hash=LoginCode.objects.get(phone=PHONE).code_hash)

    # The hash is bound to the phone, so a hash copied from another number never matches.
    with pytest.raises(LoginRefused, match="not right"):
        verify_login_code(phone=other, code=code_sent_to(PHONE))


@pytest.mark.django_db
def test_a_code_still_works_just_before_it_expires():
    request_login_code(phone=PHONE, ip=IP)
    move_codes_back(settings.OTP_TTL_SECONDS - 5, phone=PHONE)

    assert verify_login_code(phone=PHONE, code=code_sent_to(PHONE)).phone == PHONE


@pytest.mark.django_db
def test_a_code_expires_after_the_ttl():
    request_login_code(phone=PHONE, ip=IP)
    move_codes_back(settings.OTP_TTL_SECONDS + 1, phone=PHONE)

    with pytest.raises(LoginRefused, match="That code has expired. Ask for a new code."):
        verify_login_code(phone=PHONE, code=code_sent_to(PHONE))


@pytest.mark.django_db
@override_settings(OTP_TTL_SECONDS=60)
def test_the_ttl_comes_from_the_settings():
    login_code = request_login_code(phone=PHONE, ip=IP)

    assert (login_code.expires_at - login_code.created_at).total_seconds() == 60
    assert latest_console_message(PHONE).endswith("It expires in 1 minute.")


@pytest.mark.django_db
def test_a_wrong_code_is_counted_even_though_the_call_raises():
    login_code = request_login_code(phone=PHONE, ip=IP)

    with pytest.raises(LoginRefused, match="That code is not right. You have 4 tries left."):
        verify_login_code(phone=PHONE, code=wrong_code_for(PHONE))

    login_code.refresh_from_db()
    assert login_code.failed_attempts == 1
    assert login_code.used_at is None


@pytest.mark.django_db
def test_after_five_wrong_tries_even_the_right_code_is_refused():
    login_code = request_login_code(phone=PHONE, ip=IP)
    wrong = wrong_code_for(PHONE)

    messages = []
    for _ in range(5):
        with pytest.raises(LoginRefused) as refused:
            verify_login_code(phone=PHONE, code=wrong)
        messages.append(refused.value.message)

    assert messages[:4] == [
        "That code is not right. You have 4 tries left.",
        "That code is not right. You have 3 tries left.",
        "That code is not right. You have 2 tries left.",
        "That code is not right. You have 1 try left.",
    ]
    # Within the resend wait: the message says when the new code can be asked for.
    assert re.fullmatch(r"Too many wrong tries\. Ask for a new code in \d+ seconds\.", messages[4])
    with pytest.raises(LoginRefused, match="Too many wrong tries. Ask for a new code"):
        verify_login_code(phone=PHONE, code=code_sent_to(PHONE))
    login_code.refresh_from_db()
    assert login_code.failed_attempts == 5
    assert login_code.used_at is None
    assert not User.objects.filter(phone=PHONE).exists()


@pytest.mark.django_db
def test_something_that_is_not_six_digits_is_refused_without_using_up_a_try():
    login_code = request_login_code(phone=PHONE, ip=IP)

    with pytest.raises(LoginRefused, match="Enter the 6-digit code from the SMS."):
        verify_login_code(phone=PHONE, code="12ab")

    login_code.refresh_from_db()
    assert login_code.failed_attempts == 0


@pytest.mark.django_db
def test_a_code_can_be_used_only_once():
    request_login_code(phone=PHONE, ip=IP)
    code = code_sent_to(PHONE)
    verify_login_code(phone=PHONE, code=code)

    with pytest.raises(LoginRefused, match="There is no code waiting for this number. Ask for a new code."):
        verify_login_code(phone=PHONE, code=code)


@pytest.mark.django_db
def test_checking_a_code_when_none_was_asked_for_is_refused():
    with pytest.raises(LoginRefused, match="There is no code waiting for this number"):
        verify_login_code(phone=PHONE, code="123456")


@pytest.mark.django_db
def test_asking_again_too_soon_is_refused_with_the_seconds_to_wait():
    request_login_code(phone=PHONE, ip=IP)
    move_codes_back(10, phone=PHONE)

    refused = refusal(phone=PHONE, ip=IP)

    assert refused.message == "We just sent you a code. Please wait 20 seconds before asking for a new one."
    assert refused.retry_after_seconds == 20
    assert LoginCode.objects.filter(phone=PHONE).count() == 1


@pytest.mark.django_db
def test_a_new_code_after_the_wait_replaces_the_old_one():
    first = request_login_code(phone=PHONE, ip=IP)
    old_code = code_sent_to(PHONE)
    move_codes_back(31, phone=PHONE)

    request_login_code(phone=PHONE, ip=IP)
    new_code = code_sent_to(PHONE)

    first.refresh_from_db()
    assert first.expires_at <= timezone.now()
    if old_code != new_code:  # one chance in a million that they are equal
        with pytest.raises(LoginRefused, match="not right"):
            verify_login_code(phone=PHONE, code=old_code)
    assert verify_login_code(phone=PHONE, code=new_code).phone == PHONE


@pytest.mark.django_db
def test_at_most_five_codes_per_phone_per_hour():
    for _ in range(5):
        request_login_code(phone=PHONE, ip=IP)
        move_codes_back(60, phone=PHONE)
    # The oldest of the five was asked for 5 minutes ago, so a slot frees up in 55 minutes.

    refused = refusal(phone=PHONE, ip=IP)
    assert refused.message == "You have asked for too many codes for this number. Try again in 55 minutes."

    move_codes_back(55 * 60, phone=PHONE)
    request_login_code(phone=PHONE, ip=IP)
    assert LoginCode.objects.filter(phone=PHONE).count() == 6


@pytest.mark.django_db
@override_settings(OTP_MAX_PER_IP_PER_HOUR=3)
def test_at_most_the_configured_number_of_codes_per_ip_per_hour():
    phones = ["+919812300001", "+919812300002", "+919812300003", "+919812300004"]
    for phone in phones[:3]:
        request_login_code(phone=phone, ip=IP)
    move_codes_back(10 * 60, ip=IP)

    refused = refusal(phone=phones[3], ip=IP)
    assert refused.message == "Too many codes have been asked for from your network. Try again in 50 minutes."

    # Other addresses are not held back by this one.
    request_login_code(phone=phones[3], ip="198.51.100.20")


@pytest.mark.django_db
def test_first_login_creates_exactly_one_merchant_and_the_next_login_reuses_it():
    request_login_code(phone=PHONE, ip=IP)
    first = verify_login_code(phone=PHONE, code=code_sent_to(PHONE))
    move_codes_back(60, phone=PHONE)
    request_login_code(phone="98123 45678", ip=IP)
    second = verify_login_code(phone="98123 45678", code=code_sent_to(PHONE))

    assert first.pk == second.pk
    assert User.objects.filter(phone=PHONE).count() == 1
    assert User.objects.count() == 1
    assert not first.has_usable_password()
    assert not first.is_staff


@pytest.mark.django_db
def test_a_switched_off_account_cannot_log_in():
    User.objects.create_user(PHONE, is_active=False)
    request_login_code(phone=PHONE, ip=IP)

    with pytest.raises(LoginRefused, match="switched off"):
        verify_login_code(phone=PHONE, code=code_sent_to(PHONE))


@pytest.mark.django_db
def test_when_the_sms_provider_fails_no_code_is_saved_and_the_person_is_told_to_retry():
    with override_settings(SMS_BACKEND="http", SMS_HTTP_URL=f"http://127.0.0.1:{closed_port()}/send"):
        refused = refusal(phone=PHONE, ip=IP)

    assert refused.message == "We couldn't send the SMS just now. Please try again in 30 seconds."
    assert LoginCode.objects.count() == 0


@pytest.mark.django_db
def test_when_sending_a_new_code_fails_the_previous_code_keeps_working():
    request_login_code(phone=PHONE, ip=IP)
    code = code_sent_to(PHONE)
    move_codes_back(31, phone=PHONE)

    with override_settings(SMS_BACKEND="http", SMS_HTTP_URL=f"http://127.0.0.1:{closed_port()}/send"):
        with pytest.raises(LoginRefused, match="couldn't send the SMS"):
            request_login_code(phone=PHONE, ip=IP)

    assert verify_login_code(phone=PHONE, code=code).phone == PHONE
