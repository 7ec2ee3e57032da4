"""Every kind of page still works in Chromium under the Content-Security-Policy: nothing is refused.

The browser reports each refused script, style or image as a `securitypolicyviolation` event and a
console error; the test listens for both on the store home, a product, the cart, checkout, the order
page (with its UPI QR code), the login page, the dashboard and the API docs.
"""

import re
from decimal import Decimal

import pytest
from django.test import Client

from dukaan.catalog import services
from dukaan.conftest import change_store, make_store, png_upload
from tests.browser.chromium import fill_checkout

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script, in every page; the page's own policy does not apply to it.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


class Watcher:
    """What Chromium refused on the pages a buyer or merchant opened."""

    def __init__(self, page) -> None:
        self.page = page
        self.refused: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.refused.append(f"{self.page.url}: {message.text}")

    def check(self, what: str) -> None:
        self.page.wait_for_load_state("load")
        for violation in self.page.evaluate("window.__violations || []"):
            self.refused.append(f"{what} ({self.page.url}): {violation}")
        assert not self.refused, "\n".join(self.refused)


def test_store_checkout_login_dashboard_and_api_docs_run_with_nothing_refused(live_server, page, second_page):
    store = make_store("+919812345601", "asha-store")
    change_store(
        store,
        name="Asha's Kurtas",
        upi_id="asha@okaxis",
        logo=png_upload("logo.png"),
    )
    product = services.create_product(
        store=store, name="Block print kurta", price=Decimal("549"), stock=5, new_images=[png_upload()]
    )
    base = live_server.url

    buyer = Watcher(second_page)
    second_page.goto(f"{base}/s/{store.slug}/")
    buyer.check("store home")
    logo = second_page.locator("header img")
    assert logo.evaluate("img => img.complete && img.naturalWidth") > 0, "the logo did not load"
    header_colour = second_page.locator("header.bar").evaluate("el => getComputedStyle(el).backgroundColor")
    assert header_colour == "rgb(18, 55, 42)", "the inline stylesheet was not applied"

    second_page.goto(f"{base}/s/{store.slug}/p/{product.pk}/")
    buyer.check("product page")
    second_page.get_by_role("button", name="Add to cart").click()
    second_page.goto(f"{base}/s/{store.slug}/cart/")
    buyer.check("cart")
    second_page.get_by_role("link", name="Check out").click()
    second_page.wait_for_url("**/checkout/")
    buyer.check("checkout")
    fill_checkout(second_page, payment_method="upi")
    second_page.get_by_role("button", name=re.compile("Place order")).click()
    second_page.wait_for_url(re.compile(r".*/o/[\w-]+/$"))
    assert second_page.locator(".qr svg").count() == 1
    buyer.check("order page")

    merchant = Watcher(page)
    page.goto(f"{base}/login/")
    merchant.check("login page")
    client = Client()
    client.force_login(store.owner)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])
    for path in (
        "/dashboard/",
        "/dashboard/products/",
        f"/dashboard/products/{product.pk}/",
        "/dashboard/orders/",
    ):
        page.goto(base + path)
        assert page.url == base + path, f"not logged in: {page.url}"
        merchant.check(path)
    page.goto(f"{base}/api/docs")
    page.locator(".swagger-ui .info").wait_for()  # Swagger UI ran and drew the docs
    merchant.check("API docs")
