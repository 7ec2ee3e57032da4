"""Catalog services: the rules they enforce and the one outbox row each change writes."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from dukaan.catalog import events, services
from dukaan.catalog.models import Product, ProductImage, Store
from dukaan.conftest import change_store, png_upload
from dukaan.events.models import OutboxEvent
from dukaan.events.outbox import OutboxOutsideTransaction, emit

pytestmark = pytest.mark.django_db


def events_of(store: Store) -> list[str]:
    return list(OutboxEvent.objects.filter(aggregateid=str(store.pk)).values_list("type", flat=True))


def test_creating_a_store_writes_one_store_created_event_keyed_by_store(store):
    event = OutboxEvent.objects.get(type="store.created")
    assert event.aggregatetype == "catalog"
    assert event.aggregateid == str(store.pk)
    assert event.payload["store_id"] == store.pk
    assert event.payload["data"]["slug"] == "asha-store"
    assert {"id", "type", "version", "occurred_at", "data"} <= event.payload.keys()


def test_create_product_emits_one_event_with_exact_decimal_prices(store):
    before = OutboxEvent.objects.count()
    product = services.create_product(store=store, name="Masala chai", price=Decimal("120.50"), stock=3)
    assert OutboxEvent.objects.count() == before + 1
    event = OutboxEvent.objects.latest("created_at")
    assert event.type == "product.created"
    assert event.payload["data"]["price"] == "120.50"
    assert event.payload["data"]["id"] == product.pk


def test_update_product_bumps_version_and_emits_one_event(product):
    before = OutboxEvent.objects.count()
    updated = services.update_product(product=product, price=Decimal("450.00"))
    assert updated.version == product.version + 1
    assert OutboxEvent.objects.count() == before + 1
    assert OutboxEvent.objects.latest("created_at").payload["data"]["version"] == updated.version


def test_every_catalog_change_writes_exactly_one_event(store, other_store):
    category = services.create_category(store=store, name="Snacks")
    services.rename_category(category=category, name="Namkeen")
    product = services.create_product(store=store, name="Bhujia", price=Decimal("60"), category=category)
    services.update_product(product=product, is_active=False)
    services.bulk_edit_products(store=store, edits=[services.BulkEdit(product_id=product.pk, stock=4)])
    services.bulk_edit_products(
        store=store, edits=[services.BulkEdit(product_id=product.pk, price=Decimal("65"))]
    )
    change_store(store, name="Asha", slug="asha")
    services.delete_product(product=product)
    services.delete_category(category=category)
    assert events_of(store) == [
        "store.created",
        "category.created",
        "category.updated",
        "product.created",
        "product.updated",
        "stock.changed",
        "product.updated",
        "store.updated",
        "product.deleted",
        "category.deleted",
    ]
    assert events_of(other_store) == ["store.created"]


def test_a_rolled_back_change_leaves_no_event_and_no_row(store):
    before = OutboxEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.create_product(store=store, name="Ghost", price=Decimal("10"))
        raise RuntimeError("the caller's transaction fails after the service returned")
    assert OutboxEvent.objects.count() == before
    assert not Product.objects.filter(name="Ghost").exists()


def test_a_refused_product_writes_nothing_and_leaves_no_image_files(store, settings):
    with pytest.raises(ValidationError):
        services.create_product(
            store=store,
            name="Two mediums",
            price=Decimal("100"),
            variants=[
                services.VariantInput(options={"Size": "M"}, price=Decimal("100")),
                services.VariantInput(options={"Size": "M"}, price=Decimal("110")),
            ],
            new_images=[png_upload()],
        )
    assert not Product.objects.exists()
    assert events_of(store) == ["store.created"]
    assert not any(path.is_file() for path in settings.MEDIA_ROOT.rglob("*"))


@pytest.mark.django_db(transaction=True)
def test_emit_outside_a_transaction_is_refused(store):
    with pytest.raises(OutboxOutsideTransaction):
        emit(events.PRODUCT_UPDATED, store_id=store.pk, data={})


@pytest.mark.parametrize(
    "price, message",
    [
        (Decimal("0"), "more than zero"),
        (Decimal("-5"), "more than zero"),
        (Decimal("100000000"), "at most"),
        (Decimal("10.999"), "decimal places"),
    ],
)
def test_absurd_prices_are_refused_with_a_reason(store, price, message):
    with pytest.raises(ValidationError) as error:
        services.create_product(store=store, name="Thing", price=price)
    assert message in " ".join(error.value.messages)
    assert not Product.objects.exists()


def test_compare_at_price_must_be_above_the_price(store):
    with pytest.raises(ValidationError, match="compare-at"):
        services.create_product(
            store=store, name="Saree", price=Decimal("900"), compare_at_price=Decimal("800")
        )


@pytest.mark.parametrize("stock, message", [(-1, "negative"), (10**9, "at most")])
def test_stock_must_be_a_sane_count(store, stock, message):
    with pytest.raises(ValidationError) as error:
        services.create_product(store=store, name="Chappal", price=Decimal("199"), stock=stock)
    assert message in " ".join(error.value.messages)


def test_empty_and_oversized_names_are_refused(store):
    with pytest.raises(ValidationError):
        services.create_product(store=store, name="   ", price=Decimal("1"))
    with pytest.raises(ValidationError):
        services.create_product(store=store, name="x" * 121, price=Decimal("1"))
    with pytest.raises(ValidationError):
        services.create_product(store=store, name="ok", price=Decimal("1"), description="y" * 5001)


def test_sku_is_unique_within_a_store_but_not_across_stores(store, other_store):
    services.create_product(store=store, name="A", price=Decimal("1"), sku="KUR-01")
    services.create_product(store=other_store, name="A", price=Decimal("1"), sku="KUR-01")
    with pytest.raises(ValidationError):
        services.create_product(store=store, name="B", price=Decimal("1"), sku="KUR-01")
    assert Product.objects.filter(sku="KUR-01").count() == 2


def test_a_category_of_another_store_cannot_be_used(store, other_store):
    foreign = services.create_category(store=other_store, name="Theirs")
    with pytest.raises(ValidationError, match="your own categories"):
        services.create_product(store=store, name="Mine", price=Decimal("1"), category=foreign)


def test_variants_are_replaced_and_kept_by_id(product):
    medium, large = product.variants.all()
    services.update_product(
        product=product,
        variants=[
            services.VariantInput(id=medium.pk, options={"Size": "M"}, price=Decimal("479"), stock=2),
            services.VariantInput(options={"Size": "XL"}, price=Decimal("549")),
        ],
    )
    variants = list(product.variants.all())
    assert [v.label for v in variants] == ["M", "XL"]
    assert variants[0].pk == medium.pk and variants[0].price == Decimal("479")
    assert variants[1].stock is None


def test_a_variant_id_from_another_product_is_refused(product, store):
    other = services.create_product(
        store=store,
        name="Other",
        price=Decimal("5"),
        variants=[services.VariantInput(options={"Size": "S"}, price=Decimal("5"))],
    )
    foreign_id = other.variants.get().pk
    with pytest.raises(ValidationError, match="no longer exists"):
        services.update_product(
            product=product,
            variants=[services.VariantInput(id=foreign_id, options={"Size": "S"}, price=Decimal("1"))],
        )
    assert other.variants.get().price == Decimal("5")


def test_images_are_stored_with_thumbnails_and_removed_files_go_after_commit(
    product, settings, django_capture_on_commit_callbacks
):
    image = product.images.get()
    for path in (image.original, image.small, image.large):
        assert (settings.MEDIA_ROOT / path).is_file()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.update_product(
            product=product, remove_image_ids=[image.pk], new_images=[png_upload("b.png")]
        )
    assert (settings.MEDIA_ROOT / image.original).exists(), "deleted before the change committed"
    for callback in callbacks:
        callback()
    assert not (settings.MEDIA_ROOT / image.original).exists()
    assert ProductImage.objects.filter(product=product).count() == 1


def test_bulk_edit_is_all_or_nothing(store):
    a = services.create_product(store=store, name="A", price=Decimal("10"), stock=1)
    b = services.create_product(store=store, name="B", price=Decimal("20"), stock=1)
    before = OutboxEvent.objects.count()
    with pytest.raises(ValidationError, match="B:"):
        services.bulk_edit_products(
            store=store,
            edits=[
                services.BulkEdit(product_id=a.pk, price=Decimal("11")),
                services.BulkEdit(product_id=b.pk, price=Decimal("-1")),
            ],
        )
    a.refresh_from_db()
    assert a.price == Decimal("10")
    assert OutboxEvent.objects.count() == before


def test_bulk_edit_cannot_touch_another_stores_product(store, other_store):
    theirs = services.create_product(store=other_store, name="Theirs", price=Decimal("10"))
    with pytest.raises(ValidationError):
        services.bulk_edit_products(
            store=store, edits=[services.BulkEdit(product_id=theirs.pk, price=Decimal("1"))]
        )
    theirs.refresh_from_db()
    assert theirs.price == Decimal("10")


def test_bulk_edit_skips_unchanged_rows(store):
    a = services.create_product(store=store, name="A", price=Decimal("10"), stock=None)
    assert (
        services.bulk_edit_products(
            store=store,
            edits=[services.BulkEdit(product_id=a.pk, price=Decimal("10.00"), stock_unlimited=True)],
        )
        == 0
    )
    assert events_of(store)[-1] == "product.created"


def test_a_new_logo_replaces_the_old_one_and_leaves_only_its_thumbnail(
    store, settings, django_capture_on_commit_callbacks
):
    def update_logo(colour: str) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            change_store(
                store,
                logo=png_upload("logo.png", colour=colour),
            )
        return store.logo

    first = update_logo("red")
    second = update_logo("blue")
    files = [path.relative_to(settings.MEDIA_ROOT).as_posix() for path in settings.MEDIA_ROOT.rglob("*.*")]
    assert files == [second] and second != first


def test_adjust_stock_sets_or_moves_stock_with_one_event(product):
    medium = product.variants.get(options={"Size": "M"})
    assert services.adjust_stock(product=product, delta=-3) == 7
    assert services.adjust_stock(product=product, variant_id=medium.pk, set_to=9) == 9
    assert services.adjust_stock(product=product, set_to=None) is None
    stock_events = OutboxEvent.objects.filter(type="stock.changed").order_by("created_at")
    assert [(e.payload["data"]["variant_id"], e.payload["data"]["stock"]) for e in stock_events] == [
        (None, 7),
        (medium.pk, 9),
        (None, None),
    ]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"delta": -11}, "Only 10 in stock"),
        ({"set_to": -1}, "negative"),
        ({}, "either"),
        ({"set_to": 1, "delta": 1}, "either"),
        ({"variant_id": 0, "set_to": 1}, "no such variant"),
    ],
)
def test_adjust_stock_refuses_what_makes_no_sense(product, kwargs, message):
    before = OutboxEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        services.adjust_stock(product=product, **kwargs)
    assert message in " ".join(error.value.messages)
    product.refresh_from_db()
    assert product.stock == 10 and OutboxEvent.objects.count() == before


def test_moving_unlimited_stock_by_an_amount_is_refused(store):
    unlimited = services.create_product(store=store, name="Chai", price=Decimal("10"))
    with pytest.raises(ValidationError, match="unlimited"):
        services.adjust_stock(product=unlimited, delta=1)
