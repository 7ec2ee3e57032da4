"""Shared set-up for the accounts tests: SMS go to a console log under tmp_path, limits are pinned."""

import pytest
from django.test import override_settings

# Pinned so the tests say the same thing whatever OTP_* the environment sets.
OTP_SETTINGS = {
    "OTP_TTL_SECONDS": 300,
    "OTP_MAX_TRIES": 5,
    "OTP_RESEND_SECONDS": 30,
    "OTP_MAX_PER_PHONE_PER_HOUR": 5,
    "OTP_MAX_PER_IP_PER_HOUR": 20,
    "PHONE_DEFAULT_REGION": "IN",
}


@pytest.fixture(autouse=True)
def sms_log(tmp_path):
    log_path = tmp_path / "var" / "sms.log"
    with override_settings(SMS_BACKEND="console", SMS_CONSOLE_LOG=log_path, **OTP_SETTINGS):
        yield log_path
