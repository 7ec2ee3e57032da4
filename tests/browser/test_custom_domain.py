"""The owner puts the store on its own domain: Store → Domain, add shop.asha.in, see the two DNS records,
"Verify now" before and after the TXT record is published (on a local DNS server), and the share link
on the dashboard home is the domain. Screenshots: test-artifacts/screenshots/70-* (copies of them are
docs/images/domain-*.png; a run never rewrites docs/)."""

import re

import pytest

from dukaan.catalog.domains import record_name, record_value
from dukaan.catalog.models import StoreDomain
from dukaan.conftest import make_store
from dukaan.infra.sms import latest_console_message
from tests.browser.chromium import fits_the_phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+919876500071"
PAGE = "/dashboard/store/domain/"


def log_in(page, base_url: str) -> None:
    page.goto(base_url + "/login/")
    page.fill("input[type=tel]", "98765 00071")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/login/verify/")
    code = re.search(r"\b(\d{6})\b", latest_console_message(PHONE)).group(1)
    page.fill("input[autocomplete=one-time-code]", code)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/dashboard/$"))


def post(page, button):
    """Press a form's `button`; the response to the POST (its status), once the page it leads to has
    loaded (the same address, for a refused form: waiting for the address would not wait)."""
    with (
        page.expect_navigation(),
        page.expect_response(lambda response: response.request.method == "POST") as posted,
    ):
        button.click()
    return posted.value


def test_owner_adds_and_verifies_a_domain_and_the_share_link_follows(
    live_server, page, screenshot, dns_server, settings
):
    settings.SITE_URL = "https://dukaan.example"
    store = make_store(PHONE, "asha-kurtas")

    log_in(page, live_server.url)
    assert page.locator("#share-link").inner_text() == "https://dukaan.example/s/asha-kurtas/"
    page.locator("header nav").get_by_role("link", name="Store", exact=True).click()
    page.locator("#domain-link").click()
    page.wait_for_url("**" + PAGE)

    # An IP address is not a domain: refused, saying so, and nothing is saved.
    page.fill("#id_domain", "203.0.113.7")
    refused = post(page, page.get_by_role("button", name="Add domain"))
    assert refused.status == 400
    assert "“203.0.113.7” is an IP address, not a domain name." in page.locator("main").inner_text()
    assert not StoreDomain.objects.exists()
    screenshot("70-domain-ip-refused")

    # The domain is added, not verified, with the two records to create where it was bought.
    page.fill("#id_domain", "shop.asha.in")
    added = post(page, page.get_by_role("button", name="Add domain"))
    assert added.status == 302
    asked = StoreDomain.objects.get(store=store)
    assert asked.domain == "shop.asha.in" and asked.verified_at is None
    assert "shop.asha.in is not verified yet" in page.locator("#domain-status").inner_text()
    rows = [row.inner_text().split("\t") for row in page.locator("#domain tbody tr").all()]
    assert rows == [
        ["CNAME", "shop.asha.in", "dukaan.example"],
        ["TXT", "_dukaan.shop.asha.in", f"dukaan-verify={asked.token}"],
    ]
    # The token must be readable without scrolling sideways. (A phone-emulating Chromium widens
    # window.innerWidth to fit a page too wide, so compare with the phone's own width.)
    assert fits_the_phone(page)
    screenshot("71-domain-records")

    # "Verify now" before the TXT record exists: a 400 saying so; the domain stays unverified.
    missing = post(page, page.get_by_role("button", name="Verify now"))
    assert missing.status == 400
    assert "No TXT record at _dukaan.shop.asha.in yet." in page.locator("#domain-problems").inner_text()
    assert StoreDomain.objects.get(store=store).verified_at is None
    screenshot("72-domain-not-yet")

    # The shopkeeper publishes the TXT record; "Verify now" again verifies the domain.
    dns_server.txt[record_name(asked.domain)] = [record_value(asked)]
    verified = post(page, page.get_by_role("button", name="Verify now"))
    assert verified.status == 302
    assert StoreDomain.objects.get(store=store).verified_at is not None
    assert "shop.asha.in is verified: your store is at https://shop.asha.in/ now." in (
        page.locator(".messages").inner_text()
    )
    status = page.locator("#domain-status")
    assert "your store is at https://shop.asha.in/" in status.inner_text()
    assert status.get_by_role("link").get_attribute("href") == "https://shop.asha.in/"
    assert page.locator("#verify-domain").count() == 0
    screenshot("73-domain-verified")

    # The dashboard home's share link is the domain now.
    page.goto(live_server.url + "/dashboard/")
    assert page.locator("#share-link").inner_text() == "https://shop.asha.in/"
    screenshot("74-domain-share-link")
