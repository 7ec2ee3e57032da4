"""Store policies in Chromium: the shopkeeper rewrites the returns policy on Store → Policies, and a buyer
on a phone finds it at the foot of the store's page and from the checkout. Screenshots:
test-artifacts/screenshots/80-* (docs/policies.md shows copies)."""

from decimal import Decimal

import pytest

from dukaan.catalog.services import create_product
from dukaan.conftest import make_store
from tests.browser.chromium import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OWN_RETURNS = "Exchange within 3 days at the shop counter.\n\nNo returns on sale items."


def test_the_shopkeeper_rewrites_the_returns_policy_and_a_buyer_reads_it(live_server, page, screenshot):
    store = make_store("+919812345601", "asha-store")
    create_product(store=store, name="Steel tiffin", price=Decimal("250.00"), stock=3)
    log_in(page, live_server, store.owner)

    page.goto(f"{live_server.url}/dashboard/store/policies/")
    returns = page.get_by_label("Returns and refunds")
    assert "within 7 days of delivery" in returns.input_value()  # the starting text, until changed
    returns.fill(OWN_RETURNS)
    page.get_by_role("button", name="Save").click()
    assert page.get_by_label("Returns and refunds").input_value() == OWN_RETURNS
    screenshot("80-policy-edit")

    buyer = page.context.browser.new_context(viewport=page.viewport_size).new_page()
    buyer.goto(f"{live_server.url}/s/asha-store/")
    buyer.get_by_role("navigation", name="Store policies").get_by_role("link", name="Returns").click()
    assert buyer.url == f"{live_server.url}/s/asha-store/policies/returns/"
    paragraphs = buyer.locator("main p").all_inner_texts()
    assert "Exchange within 3 days at the shop counter." in paragraphs
    assert "No returns on sale items." in paragraphs
    assert not buyer.get_by_text("within 7 days of delivery").count()
    screenshot("81-policy-page", on=buyer)
    buyer.context.close()
