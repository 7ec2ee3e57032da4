"""A local WhatsApp Cloud API for the notifier's tests, with the settings that point at it."""

import pytest

from dukaan.notifications.channels import whatsapp_breaker
from tests.providers.whatsapp_server import WhatsAppServer


@pytest.fixture
def whatsapp(settings):
    """WhatsApp first, SMS (the console log) when it fails."""
    with WhatsAppServer() as server:
        settings.NOTIFY_CHANNELS = "whatsapp,sms"
        settings.WHATSAPP_API_URL = server.url
        settings.WHATSAPP_API_VERSION = server.version
        settings.WHATSAPP_PHONE_NUMBER_ID = server.phone_number_id
        settings.WHATSAPP_TOKEN = server.token
        settings.WHATSAPP_TIMEOUT_SECONDS = 2.0
        whatsapp_breaker().reset()
        yield server
        whatsapp_breaker().reset()
