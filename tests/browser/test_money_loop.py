"""What a real shop charges, end to end in phone-sized Chromium: the shopkeeper sets delivery, GST and a
coupon; a buyer is refused one PIN, delivered to another, tries a wrong code, then SAVE10, and pays cash on
delivery; the order page, the merchant's order page, the API and the invoice PDF show the order's stored
figures, to the paisa.

Screenshots land in test-artifacts/screenshots/ (money-*.png).
"""

import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from dukaan.catalog import services as catalog
from dukaan.catalog.models import Product
from dukaan.catalog.templatetags.money import money
from dukaan.conftest import make_store
from dukaan.invoices.models import Invoice
from dukaan.orders.models import Order
from tests.browser.chromium import fill_checkout, fits_the_phone, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GSTIN = "29ABCDE1234F1ZW"  # Karnataka's, with a valid check character
BLOCKED_PIN = "700001"
PIN = "560038"


def set_delivery(page, base: str, screenshot) -> None:
    page.goto(base + "/dashboard/")
    page.get_by_role("link", name="Delivery").first.click()
    page.fill("#id_flat_fee", "80")
    page.fill("#id_free_above", "2000")
    page.fill("#id_blocked", "70")
    page.fill("#id_zones-0-ORDER", "1")
    page.fill("#id_zones-0-name", "Bengaluru")
    page.fill("#id_zones-0-pins", "5600")
    page.fill("#id_zones-0-fee", "40")
    page.check("#id_cod_enabled")
    page.fill("#id_cod_fee", "20")
    assert fits_the_phone(page)
    screenshot("money-01-delivery-form")
    page.get_by_role("button", name="Save delivery settings").click()
    assert "Delivery settings saved" in page.inner_text("main")
    page.fill("#try-pin-code", PIN)
    page.fill("#try-pin-value", "999")
    page.get_by_role("button", name="Try").click()
    assert f"Delivers to {PIN} · ₹40 delivery" in page.inner_text("#try-pin")
    assert fits_the_phone(page)
    screenshot("money-02-delivery-saved")


def make_coupon_on_the_page(page, screenshot) -> None:
    page.get_by_role("link", name="Coupons").first.click()
    page.get_by_role("link", name="New coupon").click()
    page.fill("#id_code", "save10")
    page.fill("#id_value", "10")
    page.fill("#id_min_order", "500")
    page.get_by_role("button", name="Save coupon").click()
    page.wait_for_url("**/dashboard/coupons/")
    assert "SAVE10" in page.locator(".coupon").first.inner_text()
    screenshot("money-05-coupon")


def set_gst(page, base: str, dupatta: Product, screenshot) -> None:
    page.get_by_role("link", name="Tax").first.click()
    page.fill("input[name=gstin]", GSTIN)
    page.select_option("select[name=state_code]", "29")
    page.check("input[name=prices_include_tax]")
    page.fill("input[name=legal_name]", "Asha Textiles")
    page.fill("textarea[name=address]", "12 MG Road, Bengaluru 560001")
    page.select_option("select[name=default_rate]", "5")
    page.fill("input[name=default_hsn]", "6211")
    page.click("button:text-is('Save')")
    assert "Tax settings saved" in page.inner_text("main")
    screenshot("money-03-tax")

    page.goto(f"{base}/dashboard/products/{dupatta.pk}/")
    page.fill("#gst input[name=hsn_code]", "6214")
    page.select_option("#gst select[name=rate]", "18")
    page.fill("#gst input[name=valid_from]", "2025-10-01")
    page.click("text=Save GST")
    assert "18 % · HSN 6214" in page.inner_text("#gst")
    screenshot("money-04-product-gst")


def add_to_cart(buyer, base: str, product: Product, quantity: int) -> None:
    buyer.goto(f"{base}/s/asha-kurtas/p/{product.pk}/")
    buyer.fill("#quantity", str(quantity))
    buyer.get_by_role("button", name="Add to cart").click()


def check_pin(buyer, pin: str) -> str:
    buyer.fill("#pin-form input[name=pin_code]", pin)
    buyer.locator("#pin-form button").click()
    return buyer.inner_text("#delivery-message")


def apply_code(buyer, code: str) -> str:
    buyer.fill("#coupon-form input[name=code]", code)
    buyer.get_by_role("button", name="Apply").click()
    return buyer.inner_text("#coupon-form")


def buy(buyer, base: str, kurta: Product, dupatta: Product, screenshot) -> tuple[str, dict[str, str]]:
    """Returns the order's status page and the figures the checkout page showed."""
    add_to_cart(buyer, base, dupatta, 1)
    buyer.goto(base + "/s/asha-kurtas/cart/")
    assert check_pin(buyer, BLOCKED_PIN) == f"Sorry, this shop does not deliver to {BLOCKED_PIN}"
    # No total (nor a "Free" delivery) for a PIN code nothing can be ordered to.
    assert buyer.locator(".summary").count() == 0
    screenshot("money-06-cart-blocked-pin", on=buyer)
    assert check_pin(buyer, PIN) == f"Delivers to {PIN} · ₹40 delivery"

    refusal = apply_code(buyer, "SAVE50")
    assert "There is no code SAVE50 at this shop" in refusal and "SAVE10" not in refusal
    screenshot("money-07-cart-wrong-code", on=buyer)
    buyer.locator("#coupon-form button[name=remove]").click()
    assert "Add ₹101 more to use SAVE10." in apply_code(buyer, "save10")  # ₹399 of a ₹500 minimum
    add_to_cart(buyer, base, kurta, 2)
    buyer.goto(base + "/s/asha-kurtas/cart/")
    summary = buyer.inner_text(".summary")
    assert "SAVE10" in summary and "−₹149.70" in summary
    assert fits_the_phone(buyer)
    screenshot("money-08-cart-save10", on=buyer)

    buyer.get_by_role("link", name="Check out").click()
    buyer.wait_for_url("**/checkout/")
    fill_checkout(buyer, payment_method="cod")
    checkout = shown_figures(buyer, ".summary > p")
    assert fits_the_phone(buyer)
    screenshot("money-09-checkout", on=buyer)
    buyer.get_by_role("button", name="Place order · ₹1,407.30").click()
    buyer.wait_for_url(re.compile(r".*/o/[\w-]+/$"))
    screenshot("money-10-order-placed", on=buyer)
    return buyer.url, checkout


def shown_figures(page, rows: str) -> dict[str, str]:
    """Each row's first and last cell, as the page shows them: {"Subtotal": "₹1,497", ...}."""
    cells = page.locator(rows).evaluate_all(
        "rows => rows.map(row => [row.firstElementChild.innerText, row.lastElementChild.innerText])"
    )
    return {label.strip(): amount.strip() for label, amount in cells}


def stored_figures(order: Order) -> dict[str, str]:
    """The figures the order stored when it was placed, as its pages show them."""
    store = order.store
    (discount,) = order.discounts.all()
    return {
        "Subtotal": money(order.subtotal, store),
        discount.label: "−" + money(discount.amount, store),
        "Delivery": money(order.delivery_fee, store),
        "Cash on delivery fee": money(order.cod_fee, store),
        "CGST (included)": money(order.cgst, store),
        "SGST (included)": money(order.sgst, store),
        "Total": money(order.total, store),
    }


def api_token(page, base: str) -> str:
    page.goto(base + "/dashboard/tokens/")
    page.fill("input[name=name]", "Accounts")
    page.check("input[name=scopes][value='orders:read']")
    page.get_by_role("button", name="Create token").click()
    return page.inner_text("#new-token code")


def test_a_buyer_pays_what_the_shop_charges_and_every_place_agrees(
    live_server, page, second_page, screenshot
):
    base = live_server.url
    store = make_store("+919876500002", "asha-kurtas")
    kurta = catalog.create_product(store=store, name="Block print kurta", price=Decimal("549"))
    dupatta = catalog.create_product(store=store, name="Silk dupatta", price=Decimal("399"))
    log_in(page, live_server, store.owner)

    set_delivery(page, base, screenshot)
    set_gst(page, base, dupatta, screenshot)
    make_coupon_on_the_page(page, screenshot)

    status_url, checkout = buy(second_page, base, kurta, dupatta, screenshot)
    order = Order.objects.get()
    # Worked by hand (docs/pricing.md): 2 × 549 + 399 = 1,497; SAVE10 takes 149.70 (109.80 off the kurtas
    # at 5 %, 39.90 off the dupatta at 18 %); + ₹40 delivery + ₹20 COD, all prices including GST.
    assert (order.subtotal, order.discount_total, order.delivery_fee, order.cod_fee) == (
        Decimal("1497.00"),
        Decimal("149.70"),
        Decimal("40.00"),
        Decimal("20.00"),
    )
    # CGST = SGST = 23.53 (kurtas, 988.20) + 27.39 (dupatta, 359.10) + 0.95 (delivery) + 0.48 (COD), each
    # half-rate tax rounded to the paisa on its own line.
    assert (order.cgst, order.sgst, order.igst, order.total) == (
        Decimal("52.35"),
        Decimal("52.35"),
        Decimal("0.00"),
        Decimal("1407.30"),
    )
    expected = stored_figures(order)

    # Cash on delivery is this shop's only way to pay, so checkout showed its total, fee included.
    assert checkout == expected
    assert shown_figures(second_page, ".summary > p") == expected

    page.goto(f"{base}/dashboard/orders/{order.number}/")
    summary_rows = "section.card:first-of-type tr:has(td:nth-child(2)), section.card:first-of-type tr:has(th)"
    assert {k: v for k, v in shown_figures(page, summary_rows).items() if "×" not in k} == expected
    page.get_by_role("button", name="Accept").click()
    page.wait_for_load_state()
    screenshot("money-11-merchant-order-accepted")

    token = api_token(page, base)
    response = page.request.get(
        f"{base}/api/v1/orders/{order.pk}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200, response.text()
    api = response.json()
    for field in ["subtotal", "discount_total", "delivery_fee", "cod_fee", "cgst", "sgst", "igst", "total"]:
        assert Decimal(api[field]) == getattr(order, field), field
    assert (api["gstin"], api["coupon_code"]) == (GSTIN, "SAVE10")
    assert {line["name"]: (line["hsn_code"], Decimal(line["gst_rate"])) for line in api["lines"]} == {
        "Block print kurta": ("6211", Decimal("5")),
        "Silk dupatta": ("6214", Decimal("18")),
    }

    buyer = second_page
    buyer.goto(status_url)
    screenshot("money-12-buyer-status-accepted", on=buyer)
    with buyer.expect_download() as download:
        buyer.get_by_role("link", name="Download invoice (PDF)").click()
    # pypdf puts each table cell on a line of its own: read the text as one line of words.
    text = " ".join(PdfReader(download.value.path()).pages[0].extract_text().split())
    invoice = Invoice.objects.get(order=order)
    assert re.fullmatch(r"INV/\d{4}-\d{2}/0001", invoice.number)
    figures = [
        f"Invoice number: {invoice.number}",
        f"GSTIN: {GSTIN}",
        f"Subtotal Rs. {order.subtotal:,.2f}",
        f"Discount: SAVE10 -Rs. {order.discount_total:,.2f}",
        f"Delivery Rs. {order.delivery_fee:,.2f}",
        f"Cash on delivery fee Rs. {order.cod_fee:,.2f}",
        f"CGST (included above) Rs. {order.cgst:,.2f}",
        f"SGST (included above) Rs. {order.sgst:,.2f}",
        f"Total Rs. {order.total:,.2f}",
    ]
    for line in order.lines.all():
        figures.append(
            f"{line.name} {line.hsn_code} {line.quantity} {line.unit_price:,.2f} {line.discount:,.2f} "
            f"{line.taxable_value:,.2f} {line.gst_rate.normalize():f}% {line.cgst:,.2f} {line.sgst:,.2f} "
            f"{line.gross:,.2f}"
        )
    for figure in figures:
        assert figure in text, f"{figure!r} is not on the invoice: {text}"
