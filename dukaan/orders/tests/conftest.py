"""Shared set-up for the orders tests: a buyer, cart lines, events, and a database writers can race on;
for the session cart's tests, the storefront's pages with a cold catalog cache."""

from collections import Counter
from dataclasses import replace
from decimal import Decimal

import pytest

from dukaan.catalog import services as catalog
from dukaan.events.models import OutboxEvent
from dukaan.orders.services import Buyer, CartLine, place_order
from dukaan.promotions.tests.helpers import make_coupon
from dukaan.shipping.rules import DEFAULT_SETUP, ZoneSetup
from dukaan.shipping.services import save_delivery_settings
from dukaan.storefront.tests.conftest import buyer_form, cold_catalog_cache, simple_product  # noqa: F401 (fixtures)
from dukaan.taxes.services import save_tax_settings

BUYER = Buyer(
    name="Ravi Kumar", phone="98123 00001", address="14 MG Road, Indiranagar, Bengaluru", pin_code="560038"
)


def line(product, variant=None, quantity: int = 1, seen_price: Decimal | None = None) -> CartLine:
    """A cart line for `product` (and `variant`), seen at its current price unless told otherwise."""
    price = seen_price if seen_price is not None else (variant.price if variant else product.price)
    return CartLine(
        product_id=product.pk, variant_id=variant.pk if variant else None, quantity=quantity, seen_price=price
    )


def order(store, lines, key: str = "key-1", payment_method: str = "cod", buyer: Buyer = BUYER):
    return place_order(
        store=store, lines=lines, buyer=buyer, payment_method=payment_method, idempotency_key=key
    )


def events(store, event_type: str | None = None) -> list[OutboxEvent]:
    found = OutboxEvent.objects.filter(aggregateid=str(store.pk)).exclude(type__startswith="store.")
    found = found.exclude(type__startswith="product.").exclude(type__startswith="category.")
    if event_type:
        found = found.filter(type=event_type)
    return list(found)


def event_counts(store) -> Counter:
    return Counter(event.type for event in events(store))


def make_product(store, name: str, price: str, stock: int | None = None, **fields):
    return catalog.create_product(store=store, name=name, price=Decimal(price), stock=stock, **fields)


@pytest.fixture
def concurrent_db(transactional_db):
    """Committed rows that racing threads, each with its own connection, can all see.

    Writers queue as in production: SQLite (a file, also in tests) with BEGIN IMMEDIATE and a busy
    timeout, PostgreSQL with row locks. Request it before the fixtures that write rows.
    """


@pytest.fixture
def rush_store(store):
    """The checkout bench's store: a zone fee over the buyer's PIN code, GST included, a 10 % coupon."""
    zone = ZoneSetup(name="Bengaluru", pins="560001-560099", fee=Decimal("40.00"))
    save_delivery_settings(
        store=store, setup=replace(DEFAULT_SETUP, flat_fee=Decimal("80.00"), zones=(zone,))
    )
    save_tax_settings(
        store=store,
        gstin="29ABCDE1234F1ZW",
        state_code="29",
        prices_include_tax=True,
        legal_name="Rush Hour Traders",
        address="12 MG Road, Bengaluru 560001",
        default_hsn="6109",
        default_rate=Decimal("5"),
    )
    make_coupon(store, code="RUSH10", max_uses=300, per_phone_limit=7)
    return store
