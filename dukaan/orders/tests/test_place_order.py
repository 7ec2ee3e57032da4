"""Placing an order: idempotent, priced from the database, refusing tampered carts and bad addresses."""

from decimal import Decimal

import pytest

from dukaan.catalog import services as catalog
from dukaan.catalog.models import Product, ProductVariant
from dukaan.conftest import change_store
from dukaan.events.models import OutboxEvent
from dukaan.orders.models import Order, OrderLine
from dukaan.orders.services import Buyer, CartLine, CheckoutRefused, PricesChanged

from .conftest import BUYER, event_counts, events, line, make_product, order

pytestmark = pytest.mark.django_db


def stock_of(product, variant=None):
    if variant is not None:
        return ProductVariant.objects.get(pk=variant.pk).stock
    return Product.objects.get(pk=product.pk).stock


def reprice_variant(product, variant, price: str):
    catalog.update_product(
        product=product,
        variants=[
            catalog.VariantInput(
                id=v.pk,
                options=v.options,
                price=Decimal(price) if v.pk == variant.pk else v.price,
                sku=v.sku,
                stock=v.stock,
            )
            for v in product.variants.all()
        ],
    )


@pytest.fixture
def medium(product):
    return product.variants.get(options={"Size": "M"})


def test_placing_an_order_copies_the_lines_takes_stock_and_emits_events(store, product, medium):
    placed = order(store, [line(product, medium, quantity=2)])
    assert placed.number == 1 and placed.status == "placed" and placed.payment_status == "pending"
    assert placed.buyer_phone == "+919812300001"  # normalised to E.164
    assert placed.total == Decimal("998.00") and placed.currency == "INR"
    (only,) = placed.lines.all()
    assert (only.name, only.variant_label, only.unit_price, only.quantity) == (
        "Cotton kurta",
        "M",
        Decimal("499.00"),
        2,
    )
    assert stock_of(product, medium) == 3
    (placed_event,) = events(store, "order.placed")
    assert placed_event.aggregatetype == "order"
    data = placed_event.payload["data"]
    assert data["number"] == 1 and data["token"] == placed.public_token and data["total"] == "998.00"
    assert data["buyer_name"] == "Ravi Kumar" and data["payment_method"] == "cod"
    assert data["lines"][0]["unit_price"] == "499.00" and data["lines"][0]["line_total"] == "998.00"
    (stock_event,) = events(store, "stock.changed")
    assert stock_event.aggregatetype == "catalog"
    product.refresh_from_db()
    assert stock_event.payload["data"] == {
        "id": product.pk,
        "variant_id": medium.pk,
        "stock": 3,
        "version": product.version,
    }


def test_the_same_key_twice_places_one_order_and_takes_stock_once(store, product, medium):
    first = order(store, [line(product, medium)], key="checkout-1")
    again = order(store, [line(product, medium)], key="checkout-1")
    assert again.pk == first.pk
    assert Order.objects.count() == 1
    assert stock_of(product, medium) == 4
    assert event_counts(store) == {"order.placed": 1, "stock.changed": 1}


def test_a_retry_of_a_placed_order_returns_it_even_when_the_stock_has_run_out(store):
    lamp = make_product(store, "Brass lamp", "250.00", stock=1)
    first = order(store, [line(lamp)], key="checkout-1")
    assert order(store, [line(lamp)], key="checkout-1").pk == first.pk
    with pytest.raises(CheckoutRefused, match="Brass lamp is sold out"):
        order(store, [line(lamp)], key="checkout-2")


def test_the_same_key_in_another_store_is_another_order(store, other_store):
    mine = make_product(store, "Brass lamp", "250.00")
    theirs = make_product(other_store, "Clay pot", "90.00")
    assert order(store, [line(mine)], key="k").pk != order(other_store, [line(theirs)], key="k").pk
    assert order(other_store, [line(theirs)], key="k").number == 1


def test_order_numbers_count_up_per_store(store, other_store):
    mine = make_product(store, "Brass lamp", "250.00")
    theirs = make_product(other_store, "Clay pot", "90.00")
    assert [order(store, [line(mine)], key=f"k{i}").number for i in range(3)] == [1, 2, 3]
    assert order(other_store, [line(theirs)], key="k").number == 1


def test_saving_the_store_settings_read_before_an_order_keeps_the_order_count(store):
    lamp = make_product(store, "Brass lamp", "250.00")
    assert order(store, [line(lamp)], key="k1").number == 1
    # The settings page read the store before that order came in, and saves it now.
    change_store(store, upi_id="asha@okaxis")
    assert order(store, [line(lamp)], key="k2").number == 2


def test_a_moved_price_is_shown_and_nothing_is_saved_until_the_buyer_confirms(store, product, medium):
    reprice_variant(product, medium, "549.00")
    before = OutboxEvent.objects.count()
    with pytest.raises(PricesChanged) as refused:
        order(store, [line(product, medium, seen_price=Decimal("499.00"))])
    assert refused.value.messages == ["Cotton kurta (M) is now ₹549, was ₹499."]
    assert str(refused.value) == "Cotton kurta (M) is now ₹549, was ₹499."
    assert refused.value.quote.lines[0].unit_price == Decimal("549.00")
    assert refused.value.quote.total == Decimal("549.00")
    assert not Order.objects.exists() and stock_of(product, medium) == 5
    assert OutboxEvent.objects.count() == before
    confirmed = order(store, [line(product, medium, seen_price=Decimal("549.00"))])
    assert confirmed.total == Decimal("549.00")
    assert confirmed.lines.get().unit_price == Decimal("549.00")


def test_a_line_keeps_its_name_and_price_after_the_product_changes_or_goes(store, product, medium):
    placed = order(store, [line(product, medium, quantity=2)])
    catalog.update_product(product=product, name="Linen kurta")
    reprice_variant(product, medium, "599.00")
    saved = OrderLine.objects.get(order=placed)
    assert (saved.name, saved.variant_label, saved.unit_price, saved.line_total) == (
        "Cotton kurta",
        "M",
        Decimal("499.00"),
        Decimal("998.00"),
    )
    catalog.delete_product(product=Product.objects.get(pk=product.pk))
    saved.refresh_from_db()
    assert saved.product_id is None and saved.variant_id is None
    assert (saved.name, saved.variant_label, saved.unit_price) == ("Cotton kurta", "M", Decimal("499.00"))
    placed.refresh_from_db()
    assert placed.total == Decimal("998.00")


def test_totals_are_exact_decimals_and_events_carry_money_as_strings(store):
    sweets = make_product(store, "Kaju katli", "33.33")
    salt = make_product(store, "Rock salt", "0.10")
    placed = order(store, [line(sweets, quantity=3), line(salt, quantity=3)])
    assert placed.total == Decimal("100.29")
    assert [saved.line_total for saved in placed.lines.all()] == [Decimal("99.99"), Decimal("0.30")]
    data = events(store, "order.placed")[0].payload["data"]
    assert data["total"] == "100.29"
    assert [(item["unit_price"], item["line_total"]) for item in data["lines"]] == [
        ("33.33", "99.99"),
        ("0.10", "0.30"),
    ]


def test_a_cart_asking_for_more_than_is_left_is_refused_with_what_is_left(store, product, medium):
    with pytest.raises(CheckoutRefused) as refused:
        order(store, [line(product, medium, quantity=3), line(product, medium, quantity=3)])
    assert refused.value.messages == ["Only 5 left of Cotton kurta (M)."]
    assert stock_of(product, medium) == 5 and not Order.objects.exists()


def test_one_short_line_refuses_the_whole_order(store, product, medium):
    lamp = make_product(store, "Brass lamp", "250.00", stock=1)
    with pytest.raises(CheckoutRefused, match="Only 1 left of Brass lamp."):
        order(store, [line(product, medium), line(lamp, quantity=2)])
    assert stock_of(product, medium) == 5 and stock_of(lamp) == 1
    assert not Order.objects.exists() and event_counts(store) == {}


def tampered_cart(case, store, other_store, product):
    medium = product.variants.first()
    if case == "another store's product":
        return [line(make_product(other_store, "Clay pot", "90.00", stock=3))]
    if case == "hidden product":
        return [line(make_product(store, "Old stock", "90.00", stock=3, is_active=False))]
    if case == "deleted product":
        gone = make_product(store, "Gone", "90.00")
        catalog.delete_product(product=gone)
        return [CartLine(product_id=gone.pk, variant_id=None, quantity=1)]
    if case == "variant of another product":
        saree = make_product(
            store,
            "Silk saree",
            "1500.00",
            variants=[catalog.VariantInput(options={"Colour": "Red"}, price=Decimal("1500.00"), stock=2)],
        )
        return [CartLine(product_id=product.pk, variant_id=saree.variants.get().pk, quantity=1)]
    if case == "variant of a product without variants":
        lamp = make_product(store, "Brass lamp", "250.00")
        return [CartLine(product_id=lamp.pk, variant_id=medium.pk, quantity=1)]
    if case == "no variant chosen":
        return [CartLine(product_id=product.pk, variant_id=None, quantity=1)]
    if case == "not an id":
        return [CartLine(product_id=str(product.pk), variant_id=medium.pk, quantity=1)]
    if case == "empty cart":
        return []
    quantity = {"quantity 0": 0, "quantity -1": -1, "quantity 10**9": 10**9, "quantity 1.5": 1.5}[case]
    return [line(product, medium, quantity=quantity)]


@pytest.mark.parametrize(
    "case, message",
    [
        ("another store's product", "no longer sold in this store"),
        ("hidden product", "no longer sold in this store"),
        ("deleted product", "no longer sold in this store"),
        ("variant of another product", "option you chose of Cotton kurta is no longer available"),
        ("variant of a product without variants", "option you chose of Brass lamp"),
        ("no variant chosen", "Choose an option of Cotton kurta (M, L)"),
        ("not an id", "no longer sold in this store"),
        ("quantity 0", "Choose a quantity of 1 or more for Cotton kurta (M)."),
        ("quantity -1", "Choose a quantity of 1 or more"),
        ("quantity 1.5", "Choose a quantity of 1 or more"),
        ("quantity 10**9", "You can order at most 100 of Cotton kurta (M) at once"),
        ("empty cart", "Your cart is empty"),
    ],
)
def test_a_tampered_cart_is_refused_and_changes_nothing(store, other_store, product, case, message):
    lines = tampered_cart(case, store, other_store, product)
    stock = dict(Product.objects.values_list("pk", "stock"))
    variant_stock = dict(ProductVariant.objects.values_list("pk", "stock"))
    before = OutboxEvent.objects.count()
    with pytest.raises(CheckoutRefused) as refused:
        order(store, lines)
    assert message in str(refused.value)
    assert "Old stock" not in str(refused.value)  # a hidden product is never named
    assert not isinstance(refused.value, PricesChanged)
    assert not Order.objects.exists() and not OrderLine.objects.exists()
    assert dict(Product.objects.values_list("pk", "stock")) == stock
    assert dict(ProductVariant.objects.values_list("pk", "stock")) == variant_stock
    assert OutboxEvent.objects.count() == before
    store.refresh_from_db()
    assert store.order_counter == 0


def test_every_problem_in_the_cart_is_named_at_once(store, product):
    hidden = make_product(store, "Old stock", "90.00", is_active=False)
    with pytest.raises(CheckoutRefused) as refused:
        order(store, [line(hidden), CartLine(product_id=product.pk, variant_id=None, quantity=1)])
    assert len(refused.value.messages) == 2


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"phone": "12345"}, "valid mobile number"),
        ({"phone": ""}, "valid mobile number"),
        ({"phone": "080 2345 6789"}, "landline"),
        ({"pin_code": "56003"}, "A PIN code is 6 digits"),
        ({"pin_code": "56003A"}, "A PIN code is 6 digits"),
        ({"pin_code": "060038"}, "A PIN code is 6 digits"),
        ({"pin_code": "960038"}, "the first is 1 to 8"),  # 9 is the Army Postal Service, not an address
        ({"pin_code": "५६००३८"}, "A PIN code is 6 digits"),  # Devanagari digits are not a PIN code
        ({"name": ""}, "Enter your name"),
        ({"name": "   "}, "Enter your name"),
        ({"name": "R" * 81}, "at most 80 characters"),
        ({"address": "MG Road"}, "full address"),
        ({"address": "x" * 501}, "at most 500 characters"),
        ({"name": "Ravi \u202eramuK"}, "Your name: Remove the hidden direction character (U+202E)"),
        ({"name": "Ravi \u2066Kumar\u2069"}, "hidden direction character (U+2066)"),
        ({"address": "14 MG Road\u2069, Bengaluru"}, "Your address: Remove the hidden direction character"),
        ({"address": "14 MG Road\x07, Bengaluru"}, "invisible control character (U+0007)"),
    ],
)
def test_a_bad_buyer_detail_is_refused_with_what_to_fix(store, product, changes, message):
    buyer = Buyer(**{**BUYER.__dict__, **changes})
    with pytest.raises(CheckoutRefused) as refused:
        order(store, [line(product, product.variants.first())], buyer=buyer)
    assert message in str(refused.value)
    assert not Order.objects.exists() and event_counts(store) == {}
    assert product.variants.first().stock == 5


def test_buyer_details_are_tidied_before_saving(store, product):
    buyer = Buyer(
        name="  Ravi   Kumar ",
        phone="+91-98123-00001",
        address="  14 MG Road, Bengaluru ",
        pin_code="560 038",
    )
    placed = order(store, [line(product, product.variants.first())], buyer=buyer)
    assert (placed.buyer_name, placed.buyer_phone, placed.address, placed.pin_code) == (
        "Ravi Kumar",
        "+919812300001",
        "14 MG Road, Bengaluru",
        "560038",
    )


def test_upi_is_refused_until_the_store_has_a_upi_id(store, product):
    cart = [line(product, product.variants.first())]
    with pytest.raises(CheckoutRefused, match="does not take UPI yet"):
        order(store, cart, payment_method="upi")
    assert not Order.objects.exists()
    change_store(store, upi_id="asha@okaxis")
    assert order(store, cart, payment_method="upi").payment_method == "upi"


def test_online_payment_is_refused_without_a_gateway(store, product, settings):
    cart = [line(product, product.variants.first())]
    settings.PAYMENT_GATEWAY = ""
    with pytest.raises(CheckoutRefused, match="Online payment is not available"):
        order(store, cart, payment_method="online")
    assert not Order.objects.exists()
    settings.PAYMENT_GATEWAY = "fake"
    assert order(store, cart, payment_method="online").payment_method == "online"


@pytest.mark.parametrize("method", ["", "bitcoin", None])
def test_an_unknown_payment_method_is_refused(store, product, method):
    with pytest.raises(CheckoutRefused, match="Choose how you will pay"):
        order(store, [line(product, product.variants.first())], payment_method=method)


@pytest.mark.parametrize("key", ["", "   ", "k" * 65, None])
def test_a_missing_or_absurd_idempotency_key_is_refused(store, product, key):
    with pytest.raises(CheckoutRefused, match="Reload the page"):
        order(store, [line(product, product.variants.first())], key=key)
    assert not Order.objects.exists()


def test_a_cart_of_more_than_fifty_lines_is_refused(store):
    lamp = make_product(store, "Brass lamp", "250.00")
    with pytest.raises(CheckoutRefused, match="at most 50 fit in one order"):
        order(store, [line(lamp)] * 51)
