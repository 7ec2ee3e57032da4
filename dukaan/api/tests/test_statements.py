"""POST /api/v1/payments/statement: a statement as text or JSON pays the orders it names, once; an
unreadable one is a 422 naming the line; a token needs orders:write; another store's orders are never
paid."""

import pytest

from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import create_api_token
from dukaan.orders.models import Order
from dukaan.payments.models import StatementLineApplied
from dukaan.payments.tests.statement_helpers import credit, takes_upi, upi_order

from .conftest import ApiClient, problem

pytestmark = pytest.mark.django_db

PATH = "/payments/statement"


@pytest.fixture
def placed(store):
    return upi_order(takes_upi(store), "a")


def test_a_text_statement_pays_the_order_and_answers_the_report(api, placed):
    response = api.post(PATH, credit(placed), content_type="text/plain")

    assert response.status_code == 200, response.content
    body = response.json()
    (paid,) = body["paid"]
    assert paid == {
        "line_no": 1,
        "date": "2026-12-05",
        "amount": f"{placed.upi_amount:.2f}",
        "utr": "623456789012",
        "text": f"UPI/CR/623456789012/RAVI KUMAR/SBIN/okaxis/SHOP ORDER 1 REF {placed.pay_reference}",
        "note": "Reference and amount match.",
        "order_numbers": [placed.number],
    }
    assert (body["duplicates"], body["check"], body["ambiguous"], body["unmatched"]) == ([], [], [], [])
    assert Order.objects.get(pk=placed.pk).payment_status == "paid"
    applied = StatementLineApplied.objects.get()
    assert applied.by.startswith("the API token ‘POS’")


def test_a_json_statement_sent_twice_pays_once(api, placed):
    first = api.post(PATH, {"text": credit(placed)})
    again = api.post(PATH, {"text": credit(placed)})

    assert len(first.json()["paid"]) == 1
    assert (len(again.json()["paid"]), len(again.json()["duplicates"])) == (0, 1)
    assert Order.objects.get(pk=placed.pk).amount_paid == placed.upi_amount


def test_another_stores_token_never_pays_this_stores_order(other_token, placed):
    response = ApiClient(other_token).post(PATH, {"text": credit(placed)})

    assert [line["line_no"] for line in response.json()["unmatched"]] == [1]
    assert Order.objects.get(pk=placed.pk).payment_status == "pending"


def test_an_unreadable_statement_is_a_422_naming_the_line(api, placed):
    response = api.post(PATH, {"text": credit(placed) + "06-12-2026 RAVI no amount\n"})

    body = problem(response, 422)
    assert body["type"] == "/api/problems/statement-unreadable"
    assert body["detail"].startswith("Line 2 has a date but no amount")
    assert not StatementLineApplied.objects.exists()


def test_a_binary_body_is_refused(api, placed):
    body = problem(api.post(PATH, b"\x89PNG\r\n\x1a\n\x00\x00", content_type="text/plain"), 422)

    assert "This is not text" in body["detail"]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ({"statement": "x"}, "application/json", 400),
        ('{"text": ', "application/json", 400),
        ("05-12-2026 RAVI 549.37 Cr", "text/csv", 415),
    ],
)
def test_a_body_in_another_shape_is_refused(api, placed, body, content_type, status):
    problem(api.post(PATH, body, content_type=content_type), status)


def test_a_body_over_the_api_limit_is_a_413(api, placed):
    problem(api.post(PATH, "05-12-2026 RAVI 549.37 Cr\n" * 5000, content_type="text/plain"), 413)


def test_a_token_without_orders_write_is_refused(store, placed):
    _, raw = create_api_token(store=store, name="Reader", scopes=[Scope.ORDERS_READ])

    body = problem(ApiClient(raw).post(PATH, {"text": credit(placed)}), 403)

    assert body["required_scope"] == "orders:write"
    assert Order.objects.get(pk=placed.pk).payment_status == "pending"
