"""A store's public endpoints: the catalog, search, a quote and an order, with no token."""

from decimal import Decimal

import pytest

from dukaan.api.models import IdempotencyRecord
from dukaan.conftest import change_store
from dukaan.events.local import run_pending
from dukaan.orders.models import Order

from .conftest import BUYER, problem, simple_product

pytestmark = pytest.mark.django_db


def test_store_and_its_categories(anon, store, product):
    body = anon.get(f"/stores/{store.slug}").json()
    assert body["name"] == store.name
    assert body["payment_methods"] == ["cod"]
    assert body["categories"] == [{"id": product.category_id, "name": "Kurtas", "product_count": 1}]


def test_the_catalog_shows_visible_products_of_this_store_only(anon, store, other_store, product):
    hidden = simple_product(store, name="Hidden tumbler", is_active=False)
    theirs = simple_product(other_store, name="Their tumbler")
    body = anon.get(f"/stores/{store.slug}/products").json()
    assert [item["id"] for item in body["items"]] == [product.pk]
    item = body["items"][0]
    assert item["price"] == "499.00"
    assert item["min_price"] == "499.00"
    assert item["discount_percent"] == 28
    assert [(v["label"], v["price"]) for v in item["variants"]] == [("M", "499.00"), ("L", "529.00")]
    assert item["images"][0]["small_url"].startswith("http")
    for other in (hidden, theirs):
        problem(anon.get(f"/stores/{store.slug}/products/{other.pk}"), 404)
    assert anon.get(f"/stores/{store.slug}/search", {"q": "tumbler"}).json()["items"] == []


def test_products_of_a_category(anon, store, product):
    simple_product(store, name="Loose")
    body = anon.get(f"/stores/{store.slug}/products", {"category_id": product.category_id}).json()
    assert [item["id"] for item in body["items"]] == [product.pk]
    problem(anon.get(f"/stores/{store.slug}/products", {"category_id": 999999}), 404)


def test_search_puts_the_products_with_every_word_before_the_related_ones(anon, store, product):
    simple_product(store, name="Steel tumbler", description="Holds cotton buds")
    run_pending()  # the `search` group indexes the products
    body = anon.get(f"/stores/{store.slug}/search", {"q": "  Cotton  KURTA "}).json()
    assert [(item["name"], item["related"]) for item in body["items"]] == [
        ("Cotton kurta", False),
        ("Steel tumbler", True),  # "cotton" only
    ]
    assert body["related"] == 1


def test_an_unknown_store_is_a_404(anon):
    body = problem(anon.get("/stores/no-such-store"), 404)
    assert body["detail"] == "There is no store at this address."


def test_quote_reprices_and_names_problems(anon, store, product):
    variant = product.variants.get(options={"Size": "L"})
    response = anon.post(
        f"/stores/{store.slug}/cart/quote",
        {"lines": [{"product_id": product.pk, "variant_id": variant.pk, "quantity": 2, "seen_price": "500"}]},
    )
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "private, no-store"
    body = response.json()
    assert body["total"] == "1058.00"
    assert body["ok"] is False
    assert body["price_changes"] == ["Cotton kurta (L) is now ₹529, was ₹500."]
    missing = anon.post(f"/stores/{store.slug}/cart/quote", {"lines": [{"product_id": 12345, "quantity": 1}]})
    assert missing.json()["problems"] == [
        "An item in your cart is no longer sold in this store. Remove it to continue."
    ]


def _order_body(product, variant=None, seen_price=None, **buyer):
    return {
        "lines": [
            {
                "product_id": product.pk,
                "variant_id": variant.pk if variant else None,
                "quantity": 1,
                "seen_price": str(seen_price if seen_price is not None else (variant or product).price),
            }
        ],
        "buyer": {**BUYER, **buyer},
        "payment_method": "cod",
    }


def test_place_an_order_and_read_its_status(anon, store, product):
    variant = product.variants.get(options={"Size": "M"})
    response = anon.post(
        f"/stores/{store.slug}/orders", _order_body(product, variant), headers={"Idempotency-Key": "k-1"}
    )
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "private, no-store"
    body = response.json()
    assert (body["number"], body["status"], body["total"]) == (1, "placed", "499.00")
    order = Order.objects.get(store=store, public_token=body["token"])
    assert order.idempotency_key == "api:k-1"
    variant.refresh_from_db()
    assert variant.stock == 4
    status = anon.get(f"/stores/{store.slug}/orders/{body['token']}")
    assert status.status_code == 200
    assert status.json() == body


def test_an_order_needs_an_idempotency_key(anon, store, product):
    body = problem(
        anon.post(f"/stores/{store.slug}/orders", _order_body(product, product.variants.first())), 422
    )
    assert body["errors"][0] == {
        "field": "Idempotency-Key",
        "location": "header",
        "message": "Field required.",
    }


def test_a_moved_price_is_a_409_with_the_new_quote(anon, store, product):
    variant = product.variants.get(options={"Size": "M"})
    body = problem(
        anon.post(
            f"/stores/{store.slug}/orders",
            _order_body(product, variant, seen_price=Decimal("450.00")),
            headers={"Idempotency-Key": "k-2"},
        ),
        409,
    )
    assert body["type"] == "/api/problems/prices-changed"
    assert body["quote"]["lines"][0]["unit_price"] == "499.00"
    assert not Order.objects.exists()
    # Ordering again at the price now shown works, with the same key.
    again = anon.post(
        f"/stores/{store.slug}/orders", _order_body(product, variant), headers={"Idempotency-Key": "k-2"}
    )
    assert again.status_code == 201


def test_a_refused_checkout_lists_every_problem(anon, store, product):
    body = problem(
        anon.post(
            f"/stores/{store.slug}/orders",
            _order_body(product, None, phone="12", pin_code="0"),
            headers={"Idempotency-Key": "k-3"},
        ),
        422,
    )
    assert body["type"] == "/api/problems/checkout-refused"
    assert len(body["messages"]) == 2
    assert "mobile number" in body["messages"][0]
    assert "PIN code" in body["detail"]
    assert not Order.objects.exists()


def test_upi_orders_carry_a_payment_link(anon, store):
    change_store(store, upi_id="asha@okaxis")
    product = simple_product(store)
    order = {**_order_body(product), "payment_method": "upi"}
    body = anon.post(f"/stores/{store.slug}/orders", order, headers={"Idempotency-Key": "k-4"}).json()
    assert body["upi_link"].startswith("upi://pay?pa=asha@okaxis")


def test_an_order_token_of_another_store_is_a_404(anon, store, other_store):
    product = simple_product(store)
    body = anon.post(
        f"/stores/{store.slug}/orders", _order_body(product), headers={"Idempotency-Key": "k"}
    ).json()
    problem(anon.get(f"/stores/{other_store.slug}/orders/{body['token']}"), 404)
    problem(anon.get(f"/stores/{store.slug}/orders/not-a-token"), 404)


def test_buying_another_stores_product_is_refused(anon, store, other_store):
    theirs = simple_product(other_store)
    body = problem(
        anon.post(f"/stores/{store.slug}/orders", _order_body(theirs), headers={"Idempotency-Key": "k"}), 422
    )
    assert body["messages"] == [
        "An item in your cart is no longer sold in this store. Remove it to continue."
    ]


# --- a store that changed its slug ------------------------------------------------------------------


def _rename(store, slug: str) -> None:
    change_store(store, slug=slug)


def _moved(response, location: str) -> dict:
    body = problem(response, 308)
    assert body["type"] == "/api/problems/store-moved"
    assert response["Location"] == location
    assert body["slug"] == location.split("/")[4]
    assert location in body["detail"]
    return body


def test_every_address_under_an_old_slug_moves_to_the_newest_with_a_308(anon, store, product):
    _rename(store, "asha-kurtas")
    _rename(store, "asha-sarees")
    for old in ("asha-store", "asha-kurtas"):
        _moved(anon.get(f"/stores/{old}"), "/api/v1/stores/asha-sarees")
        _moved(
            anon.get(f"/stores/{old}/products", {"limit": 1}), "/api/v1/stores/asha-sarees/products?limit=1"
        )
        _moved(
            anon.get(f"/stores/{old}/products/{product.pk}"),
            f"/api/v1/stores/asha-sarees/products/{product.pk}",
        )
        _moved(anon.get(f"/stores/{old}/search", {"q": "kurta"}), "/api/v1/stores/asha-sarees/search?q=kurta")
        _moved(anon.post(f"/stores/{old}/cart/quote", {"lines": []}), "/api/v1/stores/asha-sarees/cart/quote")
    assert anon.get("/stores/asha-sarees").json()["name"] == store.name


def test_an_order_posted_to_the_old_slug_is_redirected_and_placed_once_at_the_new(anon, store, product):
    _rename(store, "asha-kurtas")
    body, key = (
        _order_body(product, product.variants.get(options={"Size": "M"})),
        {"Idempotency-Key": "k-moved"},
    )

    response = anon.post("/stores/asha-store/orders", body, headers=key)

    _moved(response, "/api/v1/stores/asha-kurtas/orders")
    assert not Order.objects.exists()
    for _ in range(2):  # what a client following the 308 sends, and its retry
        placed = anon.post(response["Location"], body, headers=key)
        assert placed.status_code == 201, placed.content
    assert Order.objects.count() == 1
    token = placed.json()["token"]
    _moved(anon.get(f"/stores/asha-store/orders/{token}"), f"/api/v1/stores/asha-kurtas/orders/{token}")


def test_a_deleted_stores_slug_is_a_404(anon, store):
    store.owner.delete()
    problem(anon.get("/stores/asha-store"), 404)


def test_a_quote_or_an_order_never_names_a_hidden_product(anon, store):
    hidden = simple_product(store, name="Unreleased festive saree", is_active=False)
    line = {"product_id": hidden.pk, "quantity": 1, "seen_price": "120.00"}
    gone = "An item in your cart is no longer sold in this store. Remove it to continue."

    quote = anon.post(f"/stores/{store.slug}/cart/quote", {"lines": [line]})
    order = anon.post(
        f"/stores/{store.slug}/orders",
        {"lines": [line], "buyer": BUYER, "payment_method": "cod"},
        headers={"Idempotency-Key": "k-hidden"},
    )

    assert quote.json()["problems"] == [gone] and problem(order, 422)["messages"] == [gone]
    for response in (quote, order):
        assert "festive" not in response.content.decode()


@pytest.mark.parametrize(
    "field, value, character",
    [
        ("name", "Ravi \u202eramuK", "U+202E"),
        ("name", "Ravi \u2067Kumar\u2069", "U+2067"),
        ("address", "14 MG Road\x07, Bengaluru", "U+0007"),
    ],
)
def test_hidden_characters_in_the_buyers_details_are_refused_naming_them(
    anon, store, field, value, character
):
    product = simple_product(store)
    body = problem(
        anon.post(
            f"/stores/{store.slug}/orders",
            _order_body(product, **{field: value}),
            headers={"Idempotency-Key": "k-bidi"},
        ),
        422,
    )
    assert body["type"] == "/api/problems/checkout-refused"
    assert f"({character})" in body["detail"]
    assert not Order.objects.exists()


def test_too_many_orders_from_one_address_are_a_429_with_retry_after(anon, store, settings):
    settings.ORDER_MAX_PER_ADDRESS_PER_HOUR = 2
    product = simple_product(store)
    for number in range(2):
        placed = anon.post(
            f"/stores/{store.slug}/orders",
            _order_body(product, phone=f"98123 000{number:02d}"),
            headers={"Idempotency-Key": f"k-{number}"},
        )
        assert placed.status_code == 201, placed.content

    limited = anon.post(
        f"/stores/{store.slug}/orders",
        _order_body(product, phone="98123 00099"),
        headers={"Idempotency-Key": "k-9"},
    )

    body = problem(limited, 429)
    assert body["type"] == "/api/problems/rate-limited"
    assert "Too many orders have come from your network" in body["detail"]
    assert 0 < int(limited["Retry-After"]) <= 3600
    assert Order.objects.count() == 2
    # A retry of an order already placed is still answered with it.
    replay = anon.post(
        f"/stores/{store.slug}/orders",
        _order_body(product, phone="98123 00000"),
        headers={"Idempotency-Key": "k-0"},
    )
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"


def test_too_many_orders_from_one_phone_in_a_store_are_a_429(anon, store, settings):
    settings.ORDER_MAX_PER_PHONE_PER_STORE_PER_HOUR = 1
    product = simple_product(store)
    first = anon.post(f"/stores/{store.slug}/orders", _order_body(product), headers={"Idempotency-Key": "a"})
    assert first.status_code == 201
    limited = anon.post(
        f"/stores/{store.slug}/orders", _order_body(product), headers={"Idempotency-Key": "b"}
    )
    assert "several orders with this mobile number" in problem(limited, 429)["detail"]
    assert limited["Retry-After"].isdigit()
    assert Order.objects.count() == 1
    # The refusal kept no idempotency record: the same key places the order once the hour is over.
    assert not IdempotencyRecord.objects.filter(key="b").exists()


def test_a_quantity_outside_1_to_100_is_a_field_error(anon, store, product, settings):
    for quantity in (0, settings.ORDER_MAX_QUANTITY + 1):
        line = {"product_id": product.pk, "quantity": quantity}
        body = problem(anon.post(f"/stores/{store.slug}/cart/quote", {"lines": [line]}), 422)
        assert [error["field"] for error in body["errors"]] == ["lines[0].quantity"]
