"""The login pages end to end with Django's test client: phone, code from the SMS log, logged in."""

import pytest
from django.test import override_settings
from django.urls import reverse

from dukaan.accounts.models import LoginCode, User
from dukaan.accounts.tests.helpers import closed_port, code_sent_to, move_codes_back, wrong_code_for

PHONE = "+919812345678"


def logged_in_user_id(client) -> int | None:
    user_id = client.session.get("_auth_user_id")
    return int(user_id) if user_id is not None else None


@pytest.mark.django_db
def test_a_merchant_logs_in_with_phone_and_the_code_from_the_sms(client, sms_log):
    response = client.post(reverse("accounts:login"), {"phone": "98123 45678"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:verify")

    page = client.get(reverse("accounts:verify"))
    assert "We sent a code to <strong>+91 98123 45678</strong>" in page.text
    assert sms_log.exists()

    response = client.post(reverse("accounts:verify"), {"code": code_sent_to(PHONE)})

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    user = User.objects.get(phone=PHONE)
    assert logged_in_user_id(client) == user.pk


@pytest.mark.django_db
def test_the_pages_use_the_right_inputs_for_phones_and_one_time_codes(client):
    login_page = client.get(reverse("accounts:login")).text
    assert 'type="tel"' in login_page
    assert 'autocomplete="tel"' in login_page

    client.post(reverse("accounts:login"), {"phone": PHONE})
    verify_page = client.get(reverse("accounts:verify")).text
    assert 'inputmode="numeric"' in verify_page
    assert 'autocomplete="one-time-code"' in verify_page
    assert 'maxlength="6"' in verify_page
    assert "Send a new code" in verify_page


@pytest.mark.django_db
def test_an_invalid_phone_number_is_shown_as_a_form_error(client):
    response = client.post(reverse("accounts:login"), {"phone": "12345"})

    assert response.status_code == 200
    assert "That doesn&#x27;t look like a valid mobile number." in response.text
    assert 'class="errorlist' in response.text
    assert LoginCode.objects.count() == 0


@pytest.mark.django_db
def test_a_wrong_code_is_shown_with_the_tries_left_and_does_not_log_in(client):
    client.post(reverse("accounts:login"), {"phone": PHONE})

    response = client.post(reverse("accounts:verify"), {"code": wrong_code_for(PHONE)})

    assert response.status_code == 200
    assert "That code is not right. You have 4 tries left." in response.text
    assert logged_in_user_id(client) is None


@pytest.mark.django_db
def test_send_a_new_code_too_soon_says_how_long_to_wait_and_later_sends_one(client):
    client.post(reverse("accounts:login"), {"phone": PHONE})

    response = client.post(reverse("accounts:verify"), {"resend": "1"}, follow=True)
    assert "Please wait 30 seconds before asking for a new one." in response.text

    move_codes_back(31, phone=PHONE)
    response = client.post(reverse("accounts:verify"), {"resend": "1"}, follow=True)
    assert "We sent a new code to +91 98123 45678." in response.text
    assert LoginCode.objects.filter(phone=PHONE).count() == 2


@pytest.mark.django_db
def test_coming_back_to_the_login_page_too_soon_offers_the_code_page(client):
    client.post(reverse("accounts:login"), {"phone": PHONE})

    response = client.post(reverse("accounts:login"), {"phone": PHONE})

    assert "Please wait" in response.text
    assert reverse("accounts:verify") in response.text


@pytest.mark.django_db
def test_a_failing_sms_provider_shows_a_clear_message_and_saves_no_code(client):
    with override_settings(SMS_BACKEND="http", SMS_HTTP_URL=f"http://127.0.0.1:{closed_port()}/send"):
        response = client.post(reverse("accounts:login"), {"phone": PHONE})

    assert response.status_code == 200
    assert "We couldn&#x27;t send the SMS just now. Please try again in 30 seconds." in response.text
    assert LoginCode.objects.count() == 0


@pytest.mark.django_db
def test_the_code_page_without_a_phone_sends_you_to_the_login_page(client):
    response = client.get(reverse("accounts:verify"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_running_locally_the_code_page_says_where_the_sms_went(client, sms_log):
    client.post(reverse("accounts:login"), {"phone": PHONE})

    page = client.get(reverse("accounts:verify")).text

    assert "Running locally: the code is printed in the terminal running <code>make run</code>" in page
    assert str(sms_log) in page


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_in_production_the_code_page_has_no_local_hint(client):
    client.post(reverse("accounts:login"), {"phone": PHONE})

    assert "Running locally" not in client.get(reverse("accounts:verify")).text


@pytest.mark.django_db
def test_after_login_a_safe_next_page_is_honoured_and_an_outside_one_ignored(client):
    client.get(reverse("accounts:login") + "?next=/dashboard/products/")
    client.post(reverse("accounts:login"), {"phone": PHONE})
    response = client.post(reverse("accounts:verify"), {"code": code_sent_to(PHONE)})
    assert response["Location"] == "/dashboard/products/"

    client.logout()
    move_codes_back(60, phone=PHONE)
    client.get(reverse("accounts:login") + "?next=https://evil.example/")
    client.post(reverse("accounts:login"), {"phone": PHONE})
    response = client.post(reverse("accounts:verify"), {"code": code_sent_to(PHONE)})
    assert response["Location"] == "/dashboard/"


@pytest.mark.django_db
def test_logout_is_post_only_and_returns_to_the_login_page(client):
    user = User.objects.create_user(PHONE)
    client.force_login(user)

    assert client.get(reverse("accounts:logout")).status_code == 405
    assert logged_in_user_id(client) == user.pk

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert logged_in_user_id(client) is None


@pytest.mark.django_db
def test_the_landing_page_invites_to_log_in(client):
    response = client.get(reverse("accounts:landing"))

    assert response.status_code == 200
    assert "Open your online store with just your phone number" in response.text
    assert f'href="{reverse("accounts:login")}"' in response.text


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["accounts:landing", "accounts:login", "accounts:verify"])
def test_a_logged_in_merchant_is_sent_to_the_dashboard(client, page):
    client.force_login(User.objects.create_user(PHONE))

    response = client.get(reverse(page))

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
