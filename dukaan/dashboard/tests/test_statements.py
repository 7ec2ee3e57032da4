"""The "Match UPI payments" page: a pasted or uploaded statement marks the orders it paid, and the page
says what became of every line; a file that is not a statement is refused with nothing changed."""

import codecs

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dukaan.orders.models import Order
from dukaan.payments.models import StatementLineApplied
from dukaan.payments.tests.statement_helpers import credit, takes_upi, upi_order

pytestmark = pytest.mark.django_db

URL = "/dashboard/payments/match/"


@pytest.fixture
def shop(store):
    return takes_upi(store)


def csv_file(placed: Order, name: str = "statement.csv") -> SimpleUploadedFile:
    text = (
        "Account No,:,XXXXXXXX1234\n\n"
        "Date,Narration,Chq./Ref.No.,Withdrawal Amt.,Deposit Amt.,Closing Balance\n"
        f'05/12/26,UPI-RAVI-{placed.pay_reference}-623456789012,0000623456789012,,"{placed.upi_amount:,}",9999\n'
        '05/12/26,NEFT-WHOLESALER,N1234,"1,000.00",,8999\n'
    )
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def payment_status(placed: Order) -> str:
    return Order.objects.get(pk=placed.pk).payment_status


def test_the_orders_page_links_to_the_matching_page(me, shop):
    assert f'href="{URL}"' in me.get("/dashboard/orders/").content.decode()


def test_pasted_lines_pay_the_order_they_name_and_the_page_says_so(me, shop):
    placed = upi_order(shop, "a")

    page = me.post(URL, {"text": credit(placed)})

    html = page.content.decode()
    assert page.status_code == 200
    assert "Paid now (1)" in html
    assert f'href="/dashboard/orders/{placed.number}/">order #{placed.number}</a>' in html
    assert "Reference and amount match." in html
    assert payment_status(placed) == "paid"


def test_an_uploaded_bank_csv_pays_and_the_same_file_again_pays_nothing_more(me, shop):
    placed = upi_order(shop, "a")

    first = me.post(URL, {"file": csv_file(placed)}).content.decode()
    again = me.post(URL, {"file": csv_file(placed)}).content.decode()

    assert "Paid now (1)" in first and "1 debit skipped" in first
    assert "Paid now (0)" in again and "Already paid before (1)" in again
    assert payment_status(placed) == "paid"
    assert StatementLineApplied.objects.count() == 1


def test_a_utf16_excel_export_is_read(me, shop):
    placed = upi_order(shop, "a")
    text = f"Date\tDescription\tCredit\n05-12-2026\tRAVI {placed.pay_reference}\t{placed.upi_amount}\n"
    upload = SimpleUploadedFile("statement.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))

    assert "Paid now (1)" in me.post(URL, {"file": upload}).content.decode()


def test_lines_that_pay_nothing_are_listed_by_what_to_do(me, shop):
    placed, twin = upi_order(shop, "a"), upi_order(shop, "b")
    Order.objects.filter(pk=twin.pk).update(upi_amount=placed.upi_amount)
    statement = (
        credit(placed, ref=False, utr="623456789001")  # ambiguous: two orders ask for this amount
        + credit(placed, amount=placed.upi_amount + 1, utr="623456789002")  # its reference, another amount
        + "06-12-2026 UPI/CR/623456789003/SOMEONE/gift 7.00 Cr\n"
    )

    html = me.post(URL, {"text": statement}).content.decode()

    assert "Paid now (0)" in html
    assert "Ambiguous: several orders ask for this amount (1)" in html
    assert "Check by hand (1)" in html
    assert "Not matched (1)" in html
    assert payment_status(placed) == payment_status(twin) == "pending"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "This is not text: line 1"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "This is a PDF"),
        (b"", "Paste the statement&#x27;s lines, or choose its file."),
        (b"Date,Narration,Deposit\n", "No amounts found in this statement."),
    ],
)
def test_a_file_that_is_not_a_statement_is_refused_and_changes_nothing(me, shop, content, message):
    placed = upi_order(shop, "a")

    page = me.post(URL, {"file": SimpleUploadedFile("statement.csv", content), "text": ""})

    assert page.status_code == 200
    assert message in page.content.decode()
    assert payment_status(placed) == "pending"


def test_a_file_over_2_mb_is_refused_by_its_size(me, shop):
    upload = SimpleUploadedFile("statement.csv", b"05-12-2026 RAVI 549.37 Cr\n" * 120_000)  # 3 MB

    html = me.post(URL, {"file": upload}).content.decode()

    assert "The statement is 3 MB; the most read at once is 2 MB." in html


def test_a_50_mb_upload_is_refused_before_it_is_read(me, shop):
    upload = SimpleUploadedFile("statement.csv", b"x" * (50 * 1024 * 1024))

    response = me.post(URL, {"file": upload})

    assert response.status_code == 413
    assert "This request is 50 MB" in response.content.decode()
    assert not StatementLineApplied.objects.exists()
