"""The owner invites a Staff member; they log in with their phone and the SMS code, see only the orders,
and switch to another store they help run. Screenshots: test-artifacts/screenshots/60-* (copies of them
are docs/images/staff-*.png; a run never rewrites docs/)."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client

from dukaan.accounts.models import Membership, User
from dukaan.catalog import services as catalog
from dukaan.conftest import make_store
from dukaan.infra.sms import latest_console_message
from dukaan.orders.services import Buyer, CartLine, place_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in_as_owner(page, base_url: str, user) -> None:
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])


def test_owner_invites_staff_who_logs_in_sees_only_orders_and_switches_store(
    live_server, page, screenshot, second_page
):
    store = make_store("+919876500061", "asha-kurtas")
    tiffin = catalog.create_product(store=store, name="Steel tiffin", price=Decimal("250"), stock=5)
    line = CartLine(product_id=tiffin.pk, variant_id=None, quantity=1, seen_price=tiffin.price)
    buyer = Buyer(name="Meera Iyer", phone="+919812345699", address="12 MG Road", pin_code="560038")
    place_order(store=store, lines=[line], buyer=buyer, payment_method="cod", idempotency_key="k1")
    # The Staff member also helps a second store, as its Manager.
    lamps = make_store("+919876500062", "bala-lamps")
    catalog.create_product(store=lamps, name="Brass lamp", price=Decimal("900"))

    # The owner invites +91 98765 00063 as Staff.
    log_in_as_owner(page, live_server.url, store.owner)
    page.goto(live_server.url + "/dashboard/store/staff/")
    page.fill("#id_phone", "98765 00063")
    page.select_option("#id_role", "staff")
    page.get_by_role("button", name="Invite").click()
    page.wait_for_url("**/dashboard/store/staff/")
    assert "+91 98765 00063" in page.locator("table").inner_text()
    screenshot("60-staff-invited")
    helper = User.objects.get(phone="+919876500063")
    Membership.objects.create(store=lamps, user=helper, role="manager")

    # The Staff member logs in on their own phone with the SMS code.
    staff = second_page
    staff.goto(live_server.url + "/login/")
    staff.fill("input[type=tel]", "98765 00063")
    staff.locator("form button[type=submit]").first.click()
    staff.wait_for_url("**/login/verify/")
    code = re.search(r"\b(\d{6})\b", latest_console_message("+919876500063")).group(1)
    staff.fill("input[autocomplete=one-time-code]", code)
    staff.locator("form button[type=submit]").first.click()
    # Their dashboard opens on the orders: the first store they help run, where they are Staff.
    staff.wait_for_url("**/dashboard/orders/")
    nav = staff.locator("header nav").inner_text()
    assert "Orders" in nav and "Products" not in nav and "Store" in nav  # "Stores": the switcher
    assert "Meera Iyer" in staff.locator("main").inner_text()
    screenshot("61-staff-sees-orders", on=staff)
    staff.goto(live_server.url + "/dashboard/products/")
    assert "Only the owner, an Admin or a Manager" in staff.locator("main").inner_text()

    # They switch to the store they manage, where they see its products.
    staff.locator("#switch-store").click()
    staff.get_by_role("button", name="Open Store bala-lamps").click()
    staff.wait_for_url(re.compile(r".*/dashboard/$"))
    staff.goto(live_server.url + "/dashboard/products/")
    assert "Brass lamp" in staff.locator("main").inner_text()
    screenshot("62-staff-switched", on=staff)
