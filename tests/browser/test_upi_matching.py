"""Matching UPI payments in a phone-sized Chromium: the shopkeeper pastes a statement line and the order
it pays shows as paid; uploading the bank's CSV with the same payment pays nothing twice."""

import pytest
from django.test import Client

from dukaan.conftest import make_store
from dukaan.orders.models import Order
from dukaan.payments.tests.statement_helpers import credit, takes_upi, upi_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_pasted_line_pays_the_order_and_the_same_csv_uploaded_later_pays_nothing_more(
    live_server, page, screenshot, tmp_path
):
    store = takes_upi(make_store("+919812345601", "asha-store"))
    placed, other = upi_order(store, "a"), upi_order(store, "b", price="120.00")
    base = live_server.url
    client = Client()
    client.force_login(store.owner)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])

    page.goto(f"{base}/dashboard/")
    page.get_by_role("link", name="Match UPI").click()
    page.get_by_label("Paste statement lines").fill(
        credit(placed) + "06-12-2026 UPI/CR/623456789077/SOMEONE/gift 7.00 Cr\n"
    )
    screenshot("upi-matching-01-pasted")
    page.get_by_role("button", name="Match payments").click()
    page.wait_for_load_state()
    screenshot("upi-matching-02-report")
    report = page.locator("#report")
    assert "Paid now (1)" in report.inner_text()
    assert "Not matched (1)" in report.inner_text()
    page.get_by_role("link", name=f"order #{placed.number}").click()
    assert page.url.endswith(f"/dashboard/orders/{placed.number}/")

    statement = tmp_path / "statement.csv"
    statement.write_text(
        "Date,Narration,Chq./Ref.No.,Withdrawal Amt.,Deposit Amt.,Closing Balance\n"
        f"05/12/26,UPI-RAVI-{placed.pay_reference}-623456789012,0000623456789012,,{placed.upi_amount},1\n"
        f"05/12/26,UPI-ASHA-{other.pay_reference}-623456789013,0000623456789013,,{other.upi_amount},2\n"
    )
    page.goto(f"{base}/dashboard/payments/match/")
    page.get_by_label("Or upload the statement").set_input_files(statement)
    page.get_by_role("button", name="Match payments").click()
    page.wait_for_load_state()
    screenshot("upi-matching-03-upload-again")
    text = page.locator("#report").inner_text()
    assert "Paid now (1)" in text and "Already paid before (1)" in text
    assert set(Order.objects.values_list("payment_status", flat=True)) == {"paid"}
