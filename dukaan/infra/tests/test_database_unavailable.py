"""A database that does not answer: 503 + Retry-After and "nothing was saved", nothing half-written."""

import json
from decimal import Decimal

import pytest
from django.db import OperationalError, connections
from django.test import Client
from django.urls import reverse

from dukaan.catalog import services as catalog
from dukaan.catalog.models import Product
from dukaan.infra.unavailable import MESSAGE
from dukaan.orders import services as orders
from dukaan.orders.models import Order
from dukaan.orders.services import Buyer, CartLine
from tests.processes import find_free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_down(tmp_path, settings):
    """Point the database connection where nothing answers, as if the server were gone: a SQLite file
    that cannot be opened, or a PostgreSQL port nothing listens on."""
    settings.DB_UNAVAILABLE_RETRY_AFTER_SECONDS = 30
    connection = connections["default"]
    kept = dict(connection.settings_dict)

    def go_down() -> None:
        connection.close()
        if connection.vendor == "sqlite":
            connection.settings_dict["NAME"] = str(tmp_path / "no-such-folder" / "gone.sqlite3")
        else:
            connection.settings_dict.update(HOST="127.0.0.1", PORT=str(find_free_port()))

    yield go_down
    connection.close()
    connection.settings_dict.update(kept)


@pytest.fixture
def client():
    # Django's test client re-raises a view's exception; a browser gets the response instead.
    return Client(raise_request_exception=False)


@pytest.fixture
def tiffin(store):
    return catalog.create_product(store=store, name="Steel tiffin", price=Decimal("250.00"), stock=3)


def test_checkout_while_the_database_is_down_answers_503_with_retry_after_and_says_nothing_was_saved(
    client, store, tiffin, buyer_form, database_down
):
    client.post(reverse("storefront:cart_add", args=[store.slug]), {"product": tiffin.pk, "quantity": 1})
    database_down()

    response = client.post(reverse("storefront:checkout", args=[store.slug]), buyer_form)

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"].startswith("text/html")
    assert MESSAGE in response.content.decode()
    assert "<script" not in response.content.decode() and "style=" not in response.content.decode()


def test_a_buyer_reading_hindi_is_told_in_hindi_that_nothing_was_saved(
    client, store, tiffin, buyer_form, database_down
):
    client.post(reverse("storefront:cart_add", args=[store.slug]), {"product": tiffin.pk, "quantity": 1})
    client.cookies["django_language"] = "hi"  # the buyer's pick; the store's own is in the database
    database_down()

    response = client.post(reverse("storefront:checkout", args=[store.slug]), buyer_form)

    assert response.status_code == 503
    assert "कुछ भी सेव नहीं हुआ और कोई पैसा नहीं कटा।" in response.content.decode()
    assert MESSAGE not in response.content.decode()


def test_the_api_answers_a_problem_document_when_the_database_is_down(client, store, tiffin, database_down):
    database_down()

    response = client.post(
        f"/api/v1/stores/{store.slug}/orders",
        data=json.dumps(
            {
                "lines": [{"product_id": tiffin.pk, "quantity": 1}],
                "buyer": {
                    "name": "Meera",
                    "phone": "+919812345699",
                    "address": "12 Road",
                    "pin_code": "560038",
                },
                "payment_method": "cod",
            }
        ),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-0123456789abcdef",
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/api/problems/service-unavailable"
    assert body["status"] == 503
    assert body["detail"] == MESSAGE


def test_a_failure_inside_a_middleware_saving_the_session_is_a_503_too(client, database_down):
    database_down()

    # The login page itself reads nothing; remembering ?next= makes the session middleware write.
    response = client.get("/login/?next=/dashboard/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert MESSAGE in response.content.decode()


def test_a_checkout_that_loses_the_database_halfway_leaves_no_order_and_the_stock_untouched(
    store, tiffin, buyer_form, monkeypatch
):
    def connection_lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    # The last write of the order's transaction (its outbox event) is where the connection drops.
    monkeypatch.setattr(orders, "emit", connection_lost)

    with pytest.raises(OperationalError):
        orders.place_order(
            store=store,
            lines=[CartLine(product_id=tiffin.pk, variant_id=None, quantity=2)],
            buyer=Buyer(
                name="Meera Iyer", phone="+919812345699", address=buyer_form["address"], pin_code="560038"
            ),
            payment_method="cod",
            idempotency_key="halfway-0001",
        )

    assert Order.objects.count() == 0
    assert Product.objects.get(pk=tiffin.pk).stock == 3
    store.refresh_from_db()
    assert store.order_counter == 0
