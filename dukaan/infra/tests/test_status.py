"""/status: staff see every part's health on one page; no one else sees it."""

import re

import pytest
from django.contrib.auth import get_user_model

from dukaan.accounts.tests.helpers import log_in_staff
from dukaan.catalog import services as catalog
from dukaan.events.local import run_pending
from dukaan.infra.circuit import CircuitBreaker

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    get_user_model().objects.create_user("+919800000009", password="a-long-staff-password", is_staff=True)
    log_in_staff(client, "+919800000009", "a-long-staff-password")  # the password, then the SMS code
    return client


def rows(answer) -> dict[str, tuple[str, str]]:
    """{part: (state, detail)} from the page's table."""
    html = answer.content.decode()
    found = re.findall(
        r"<tr><td>(.*?)</td><td><span class=\"badge health-\w+\">(\w+)</span></td><td>(.*?)</td></tr>", html
    )
    return {part: (state, detail) for part, state, detail in found}


def test_anonymous_visitors_are_sent_to_log_in_and_merchants_are_refused(client, store):
    answer = client.get("/status")
    assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")
    client.force_login(store.owner)
    refused = client.get("/status")
    assert refused.status_code == 403


def test_staff_see_the_database_the_bus_and_each_group(staff_client, store):
    run_pending()
    answer = staff_client.get("/status")
    assert answer.status_code == 200 and answer["Cache-Control"].startswith("max-age=0")
    table = rows(answer)
    assert table["database (primary)"][0] == "ok"
    assert table["outbox relay"] == ("ok", "not yet published: 0")
    assert table["consumer group cache"] == ("ok", "events not handled yet: 0")
    catalog.create_category(store=store, name="Lamps")
    table = rows(staff_client.get("/status"))
    assert table["outbox relay"] == ("ok", "not yet published: 1")


def test_an_open_breaker_makes_the_page_say_degraded(staff_client):
    breaker = CircuitBreaker("status test dependency", failure_threshold=1, reset_seconds=60)
    breaker.record_failure(RuntimeError("down"))
    answer = staff_client.get("/status")
    assert rows(answer)["circuit status test dependency"][0] == "degraded"
    assert re.search(r'id="overall">degraded<', answer.content.decode())


def test_the_page_speaks_the_staff_members_language_and_keeps_the_states_in_its_classes(staff_client):
    answer = staff_client.get("/status", HTTP_ACCEPT_LANGUAGE="hi")
    page = answer.content.decode()
    assert answer.status_code == 200 and answer["Content-Language"] == "hi"
    assert "<h1>स्टेटस: " in page and "<th>हिस्सा</th><th>हालत</th><th>ब्यौरा</th>" in page
    assert "हर 10 सेकंड में फिर जाँचेगा" in page and "Degraded" not in page and "This process" not in page
    assert '<td>database (primary)</td><td><span class="badge health-ok">ठीक</span>' in page
    assert re.search(r'class="badge health-(ok|degraded|down)" id="overall">(ठीक|कमज़ोर|डाउन)<', page)
