"""WhatsApp by the Cloud API's documented request, and SMS when WhatsApp fails."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from dukaan.infra.sms import SmsNotSent, latest_console_message
from dukaan.notifications import messages
from dukaan.notifications.channels import WhatsAppNotSent, send

TO = "+919812300001"
PLACED = messages.order_placed(number=7, store_name="Asha Stores", total="₹300.00", link="http://x.test/o/t/")


def test_a_message_goes_by_whatsapp_as_the_approved_template_with_its_values(whatsapp, settings):
    assert send(to=TO, message=PLACED) == "whatsapp"

    (body,) = whatsapp.sent
    assert body["to"] == TO and body["template"]["name"] == "order_placed"
    assert body["template"]["language"] == {"code": "en"}
    (component,) = body["template"]["components"]
    assert [value["text"] for value in component["parameters"]] == list(PLACED.parameters)
    assert latest_console_message(TO) is None  # no SMS as well


@pytest.mark.parametrize(
    "trouble",
    [
        {"status": 400, "code": 131026, "message": "Message undeliverable"},  # an error answer
        {"status": 503, "code": 131000, "message": "Something went wrong"},  # Meta's own trouble
    ],
)
def test_when_whatsapp_refuses_the_message_goes_by_sms(whatsapp, settings, trouble):
    settings.WHATSAPP_RETRY_ATTEMPTS = 1
    whatsapp.fail_next(**trouble)

    assert send(to=TO, message=PLACED) == "sms"

    assert latest_console_message(TO) == PLACED.text
    assert whatsapp.sent == []


def test_a_5xx_is_tried_again_before_falling_back(whatsapp, settings):
    settings.WHATSAPP_RETRY_ATTEMPTS = 2
    whatsapp.fail_next(status=500)

    assert send(to=TO, message=PLACED) == "whatsapp"
    assert len(whatsapp.sent) == 1


def test_when_whatsapp_does_not_answer_in_time_the_message_goes_by_sms(whatsapp, settings):
    settings.WHATSAPP_TIMEOUT_SECONDS = 0.3
    whatsapp.hang_next(1.0)

    assert send(to=TO, message=PLACED) == "sms"
    assert latest_console_message(TO) == PLACED.text


def test_after_failures_in_a_row_whatsapp_is_not_called_for_a_while(whatsapp, settings):
    settings.WHATSAPP_RETRY_ATTEMPTS = 1
    for _ in range(settings.WHATSAPP_BREAKER_FAILURES):
        whatsapp.fail_next(status=500)
        assert send(to=TO, message=PLACED) == "sms"

    assert send(to=TO, message=PLACED) == "sms"  # the breaker is open: WhatsApp is not asked
    assert whatsapp.sent == []


def test_a_wrong_token_is_an_error_an_operator_can_act_on(whatsapp, settings):
    settings.NOTIFY_CHANNELS, settings.WHATSAPP_TOKEN = "whatsapp", "expired"

    with pytest.raises(WhatsAppNotSent, match=r"HTTP 401: \(#190\) Invalid OAuth access token"):
        send(to=TO, message=PLACED)


def test_when_every_channel_fails_the_last_ones_error_is_raised(whatsapp, settings):
    settings.WHATSAPP_RETRY_ATTEMPTS = 1
    settings.SMS_BACKEND, settings.SMS_HTTP_URL, settings.SMS_RETRY_ATTEMPTS = (
        "http",
        "http://127.0.0.1:9/",
        1,
    )
    whatsapp.fail_next(status=500)

    with pytest.raises(SmsNotSent):
        send(to=TO, message=PLACED)


@pytest.mark.parametrize("channels", ["telegram", "", "sms,pigeon"])
def test_an_unknown_channel_is_refused_with_the_ones_there_are(settings, channels):
    settings.NOTIFY_CHANNELS = channels
    with pytest.raises(ImproperlyConfigured, match="name sms, whatsapp or both"):
        send(to=TO, message=PLACED)


def test_whatsapp_without_its_credentials_says_which_settings_to_set(settings):
    settings.NOTIFY_CHANNELS, settings.WHATSAPP_TOKEN = "whatsapp,sms", ""
    with pytest.raises(ImproperlyConfigured, match="WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_TOKEN"):
        send(to=TO, message=PLACED)
