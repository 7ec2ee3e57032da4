"""Helpers for the accounts tests: read the code that was "sent", and move time without sleeping."""

import re
import socket
from datetime import timedelta

from django.db.models import F
from django.urls import reverse

from dukaan.accounts.models import LoginCode
from dukaan.infra.sms import latest_console_message


def code_sent_to(phone: str) -> str:
    """The code in the latest SMS the console backend sent to `phone`."""
    message = latest_console_message(phone)
    assert message is not None, f"no SMS was sent to {phone}"
    return re.search(r"\b(\d{6})\b", message).group(1)


def wrong_code_for(phone: str) -> str:
    return f"{(int(code_sent_to(phone)) + 1) % 1_000_000:06d}"


def move_codes_back(seconds: float, **filters) -> None:
    """Pretend the matching codes were asked for `seconds` earlier, instead of sleeping."""
    delta = timedelta(seconds=seconds)
    LoginCode.objects.filter(**filters).update(
        created_at=F("created_at") - delta, expires_at=F("expires_at") - delta
    )


def closed_port() -> int:
    """A local TCP port nothing listens on, for an SMS provider that cannot be reached."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log_in_staff(client, phone: str, password: str) -> None:
    """Log `client` in as a staff member the way a person does: the password on the admin's login page,
    then the SMS code sent to their phone (the console backend's log)."""
    asked = client.post("/admin/login/", {"phone": phone, "password": password})
    assert asked.status_code == 302 and asked["Location"] == reverse("accounts:verify"), asked.status_code
    entered = client.post(reverse("accounts:verify"), {"code": code_sent_to(phone)})
    assert entered.status_code == 302, entered.status_code
