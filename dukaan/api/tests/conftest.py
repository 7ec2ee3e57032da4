"""Shared set-up for the API tests: tokens, a JSON client that speaks Bearer, and lifted rate limits."""

import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client

from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import create_api_token
from dukaan.catalog import services as catalog
from dukaan.orders.services import Buyer, CartLine, place_order

PROBLEM = "application/problem+json"
BUYER = {
    "name": "Ravi Kumar",
    "phone": "98123 00001",
    "address": "14 MG Road, Bengaluru",
    "pin_code": "560038",
}


class ApiClient:
    """Django's test client with a token, JSON bodies by default, and the API's URL prefix."""

    def __init__(self, token: str | None = None, **defaults) -> None:
        self.client = Client(**defaults)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(
        self, method: str, path: str, body=None, *, headers=None, content_type="application/json", **kw
    ):
        url = path if path.startswith("/api/") else "/api/v1" + path
        all_headers = {**self.headers, **(headers or {})}
        if body is not None and content_type == "application/json" and not isinstance(body, str | bytes):
            body = json.dumps(body)
        call = getattr(self.client, method)
        if body is None:
            return call(url, headers=all_headers, **kw)
        return call(url, body, content_type=content_type, headers=all_headers, **kw)

    def get(self, path, params=None, **kw):
        return self._call("get", path, None, data=params or {}, **kw)

    def post(self, path, body=None, **kw):
        return self._call("post", path, body if body is not None else b"", **kw)

    def patch(self, path, body=None, **kw):
        return self._call("patch", path, body if body is not None else b"", **kw)

    def put(self, path, body=None, **kw):
        return self._call("put", path, body if body is not None else b"", **kw)

    def delete(self, path, **kw):
        return self._call("delete", path, None, **kw)

    def upload(self, path, files, **kw):
        url = "/api/v1" + path
        return self.client.post(
            url, {"images": files}, headers={**self.headers, **kw.pop("headers", {})}, **kw
        )


@pytest.fixture(autouse=True)
def api_settings(settings):
    """Limits the tests do not test are out of the way; the cache starts empty each time."""
    settings.API_RATE_LIMIT_PER_TOKEN = 0
    settings.API_RATE_LIMIT_PER_IP = 0
    settings.API_RATE_LIMIT_WINDOW_SECONDS = 60
    settings.ORDER_MAX_PER_PHONE_PER_STORE_PER_HOUR = 0  # make_order's orders share one buyer phone
    settings.API_MAX_BODY_BYTES = 64 * 1024
    settings.API_MAX_UPLOAD_BYTES = 12 * 1024 * 1024
    settings.PAYMENT_GATEWAY = ""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def token(store):
    return create_api_token(store=store, name="POS", scopes=Scope)[1]


@pytest.fixture
def api(token):
    return ApiClient(token)


@pytest.fixture
def anon():
    return ApiClient()


@pytest.fixture
def other_token(other_store):
    return create_api_token(store=other_store, name="Theirs", scopes=Scope)[1]


def make_order(store, product, *, key="order-1", quantity=1, variant=None):
    price = variant.price if variant else product.price
    return place_order(
        store=store,
        lines=[
            CartLine(
                product_id=product.pk,
                variant_id=variant.pk if variant else None,
                quantity=quantity,
                seen_price=price,
            )
        ],
        buyer=Buyer(**BUYER),
        payment_method="cod",
        idempotency_key=key,
    )


def simple_product(store, name="Steel tumbler", price="120.00", stock=10, **fields):
    return catalog.create_product(store=store, name=name, price=Decimal(price), stock=stock, **fields)


def problem(response, status: int) -> dict:
    """Assert `response` is a problem+json of `status` and return its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM, response["Content-Type"]
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("/api/problems/")
    assert body["title"] and body["detail"]
    return body
