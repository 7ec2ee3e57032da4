"""Idempotency-Key: a retry gets the first answer and changes nothing more; a reused key is refused."""

import pytest

from dukaan.accounts.services import create_api_token
from dukaan.api.models import IdempotencyRecord
from dukaan.conftest import race
from dukaan.events.models import OutboxEvent
from dukaan.orders.models import Order

from .conftest import BUYER, ApiClient, problem, simple_product


def _order(product, quantity=1):
    return {
        "lines": [{"product_id": product.pk, "quantity": quantity, "seen_price": str(product.price)}],
        "buyer": BUYER,
        "payment_method": "cod",
    }


@pytest.mark.django_db
def test_the_same_stock_change_twice_is_applied_once(api, store):
    product = simple_product(store, stock=10)
    first = api.post(f"/products/{product.pk}/stock", {"delta": -3}, headers={"Idempotency-Key": "sync-1"})
    again = api.post(f"/products/{product.pk}/stock", {"delta": -3}, headers={"Idempotency-Key": "sync-1"})
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert first.json()["stock"] == 7
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    product.refresh_from_db()
    assert product.stock == 7
    assert OutboxEvent.objects.filter(type="stock.changed").count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_422(api, store):
    product = simple_product(store, stock=10)
    api.post(f"/products/{product.pk}/stock", {"delta": -3}, headers={"Idempotency-Key": "sync-2"})
    body = problem(
        api.post(f"/products/{product.pk}/stock", {"delta": -4}, headers={"Idempotency-Key": "sync-2"}), 422
    )
    assert body["type"] == "/api/problems/idempotency-key-reused"
    other = simple_product(store, name="Other", stock=10)
    problem(
        api.post(f"/products/{other.pk}/stock", {"delta": -3}, headers={"Idempotency-Key": "sync-2"}), 422
    )
    product.refresh_from_db()
    other.refresh_from_db()
    assert (product.stock, other.stock) == (7, 10)


@pytest.mark.django_db
def test_keys_belong_to_one_token(api, store):
    product = simple_product(store, stock=10)
    second = ApiClient(create_api_token(store=store, name="Stock sync")[1])
    api.post(f"/products/{product.pk}/stock", {"delta": -1}, headers={"Idempotency-Key": "k"})
    response = second.post(f"/products/{product.pk}/stock", {"delta": -1}, headers={"Idempotency-Key": "k"})
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    product.refresh_from_db()
    assert product.stock == 8


@pytest.mark.django_db
def test_a_refused_request_leaves_its_key_free_for_the_retry(api, store):
    product = simple_product(store, stock=1)
    problem(api.post(f"/products/{product.pk}/stock", {"delta": -2}, headers={"Idempotency-Key": "k"}), 422)
    assert not IdempotencyRecord.objects.exists()
    assert (
        api.post(f"/products/{product.pk}/stock", {"delta": -1}, headers={"Idempotency-Key": "k"}).json()[
            "stock"
        ]
        == 0
    )


@pytest.mark.django_db
def test_a_retried_order_returns_the_first_order(anon, store):
    product = simple_product(store, stock=5)
    first = anon.post(f"/stores/{store.slug}/orders", _order(product), headers={"Idempotency-Key": "o-1"})
    again = anon.post(f"/stores/{store.slug}/orders", _order(product), headers={"Idempotency-Key": "o-1"})
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock == 4
    problem(
        anon.post(f"/stores/{store.slug}/orders", _order(product, 2), headers={"Idempotency-Key": "o-1"}), 422
    )
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_order_keys_are_per_store(anon, store, other_store):
    mine, theirs = simple_product(store), simple_product(other_store)
    assert (
        anon.post(f"/stores/{store.slug}/orders", _order(mine), headers={"Idempotency-Key": "k"}).status_code
        == 201
    )
    response = anon.post(
        f"/stores/{other_store.slug}/orders", _order(theirs), headers={"Idempotency-Key": "k"}
    )
    assert response.status_code == 201
    assert Order.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_run_the_change_once(store, token):
    product = simple_product(store, stock=100)
    url = f"/products/{product.pk}/stock"
    responses = race(
        6, lambda i: ApiClient(token).post(url, {"delta": -1}, headers={"Idempotency-Key": "race"})
    )
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert [r.status_code for r in responses] == [200] * 6
    assert len({r.content for r in responses}) == 1
    assert sum(r.has_header("Idempotent-Replayed") for r in responses) == 5
    product.refresh_from_db()
    assert product.stock == 99


@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_with_one_key_make_one_order(store):
    product = simple_product(store, stock=10)
    url = f"/stores/{store.slug}/orders"
    responses = race(6, lambda i: ApiClient().post(url, _order(product), headers={"Idempotency-Key": "race"}))
    assert [r.status_code for r in responses] == [201] * 6, responses
    assert len({r.json()["token"] for r in responses}) == 1
    assert Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock == 9
