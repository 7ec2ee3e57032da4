"""`dukaan seed`: the bulk load of sample shops and the demo store."""

import random
import re
import statistics
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F

from dukaan.accounts.models import User
from dukaan.catalog import bulk, seed, services
from dukaan.catalog.events import CATALOG_IMPORTED, STORE_UPDATED
from dukaan.catalog.models import Category, Product, ProductImage, ProductVariant, Store
from dukaan.catalog.rules import slug_problem
from dukaan.events.models import OutboxEvent
from dukaan.events.outbox import emit
from dukaan.promotions.selectors import coupon_terms
from dukaan.shipping.selectors import delivery_terms

pytestmark = pytest.mark.django_db

E164_INDIA_MOBILE = re.compile(r"^\+91[6-9]\d{9}$")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run_seed(*args: str) -> str:
    out = StringIO()
    call_command("seed", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def imported_events() -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(type=CATALOG_IMPORTED.name))


# --- bulk load -----------------------------------------------------------------------------------


def test_seeding_3_stores_of_5_products_creates_exactly_those_and_one_imported_event_per_store():
    output = run_seed("--stores", "3", "--products-per-store", "5", "--seed", "42")

    assert Store.objects.count() == 3
    assert User.objects.count() == 3
    assert Product.objects.count() == 15
    for store in Store.objects.all():
        assert Product.objects.filter(store=store).exists()
        assert 3 <= Category.objects.filter(store=store).count() <= 6
        assert store.whatsapp == store.owner.phone
    assert not Product.objects.exclude(category__store_id=F("store_id")).exists()  # own categories only
    events = imported_events()
    assert sorted(event.aggregateid for event in events) == sorted(
        str(pk) for pk in Store.objects.values_list("pk", flat=True)
    )
    assert {event.aggregatetype for event in events} == {"catalog"}
    assert "Seeded 3 stores, 15 products" in output


def test_imported_events_carry_the_same_envelope_as_emit():
    run_seed("--stores", "1", "--products", "2", "--verbosity", "0")
    store = Store.objects.get()
    with transaction.atomic():
        emitted = emit(STORE_UPDATED, store_id=store.pk, data={"id": store.pk})

    imported = imported_events()[0].payload
    assert imported.keys() == emitted.payload.keys()
    assert imported["store_id"] == store.pk
    assert imported["type"] == "catalog.imported"
    assert imported["data"]["store"]["slug"] == store.slug
    assert imported["data"]["products"] == 2  # one shop: all the products


def test_a_second_run_with_the_same_seed_adds_three_more_stores_without_collisions():
    run_seed("--stores", "3", "--products", "5", "--seed", "42")
    first_slugs = set(Store.objects.values_list("slug", flat=True))

    run_seed("--stores", "3", "--products", "5", "--seed", "42")

    slugs = list(Store.objects.values_list("slug", flat=True))
    phones = list(User.objects.values_list("phone", flat=True))
    assert len(slugs) == len(set(slugs)) == 6
    assert len(phones) == len(set(phones)) == 6
    assert first_slugs < set(slugs)
    assert Product.objects.count() == 30
    assert len(imported_events()) == 6
    assert all(slug_problem(slug) is None for slug in slugs)
    assert all(E164_INDIA_MOBILE.match(phone) for phone in phones)


def test_the_seeded_catalog_has_discounts_unlimited_and_sold_out_stock_and_some_variants():
    run_seed("--stores", "20", "--products", "10", "--seed", "7", "--verbosity", "0")

    assert Product.objects.filter(compare_at_price__isnull=False).exists()
    assert Product.objects.filter(stock__isnull=True).exists()
    assert Product.objects.filter(stock=0).exists()
    variants_per_product = Counter(ProductVariant.objects.values_list("product_id", flat=True))
    assert variants_per_product
    assert set(variants_per_product.values()) <= {2, 3}
    for product in Product.objects.filter(compare_at_price__isnull=False):
        assert product.compare_at_price > product.price
    skus = list(Product.objects.exclude(sku="").values_list("store_id", "sku"))
    assert len(skus) == len(set(skus))


def test_store_sizes_add_up_to_the_mean_with_a_few_huge_shops_and_most_tiny_and_repeat_with_the_seed():
    sizes = seed.store_sizes(1_000_000, 10, random.Random(3))

    assert len(sizes) == 1_000_000 and sum(sizes) == 10_000_000
    assert 10 <= sum(size >= 10_000 for size in sizes) <= 100  # a handful of huge shops…
    assert max(sizes) == seed.HUGE_STORE
    assert statistics.median(sizes) <= 2  # …and most tiny
    assert sum(size <= 5 for size in sizes) > 0.8 * len(sizes)
    assert min(sizes) == 1
    assert seed.store_sizes(1000, 7, random.Random(3)) == seed.store_sizes(1000, 7, random.Random(3))
    assert seed.store_sizes(1, 200, random.Random(3)) == [200]


def test_a_bulk_load_is_skewed_and_every_row_points_at_rows_of_its_own_shop():
    run_seed("--stores", "300", "--products-per-store", "4", "--seed", "5", "--verbosity", "0")

    per_store = sorted(Counter(Product.objects.values_list("store_id", flat=True)).values())
    assert Product.objects.count() == 1200 and len(per_store) == 300  # every shop has a product
    assert per_store[-1] >= 10 * statistics.median(per_store)
    slugs = list(Store.objects.values_list("slug", flat=True))
    assert len(slugs) == len(set(slugs)) == 300
    assert not Store.objects.exclude(owner__phone=F("whatsapp")).exists()
    assert not Product.objects.exclude(category__store_id=F("store_id")).exists()
    assert not ProductVariant.objects.exclude(product__store_id=F("store_id")).exists()
    assert not ProductImage.objects.exclude(product__store_id=F("store_id")).exists()


def test_seeded_products_mostly_show_a_picture_from_a_small_pool_of_real_files(
    django_capture_on_commit_callbacks,
):
    run_seed("--stores", "40", "--products-per-store", "10", "--seed", "9", "--verbosity", "0")

    photos = ProductImage.objects.all()
    assert 0.7 * 400 <= photos.count() <= 0.95 * 400
    files = set(photos.values_list("original", "small", "large"))
    assert len(files) <= 24  # one per category name, not one per product
    assert all(default_storage.exists(path) for paths in files for path in paths)
    category_names = {spec.name for kind in seed.KINDS for spec in kind.categories}
    for image in photos.select_related("product__category")[:50]:
        assert image.product.category.name in category_names
    # Deleting one seeded product keeps the picture the others of its category still show.
    shared = photos.first()
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_product(product=shared.product)
    assert all(default_storage.exists(path) for path in (shared.original, shared.small, shared.large))


def test_no_events_writes_the_shops_without_imported_events_and_says_to_reindex():
    output = run_seed("--stores", "5", "--products-per-store", "3", "--no-events", "--verbosity", "0")

    assert Store.objects.count() == 5
    assert not imported_events()
    assert "dukaan reindex" in output


@pytest.mark.django_db(transaction=True)
def test_copy_on_postgresql_continues_the_sequences_so_later_rows_get_fresh_ids():
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's: this runs in the PostgreSQL pass (make test-postgres)")
    result = bulk.copy_stores(stores=50, products=6, seed=1, events=False)

    assert (result.stores, result.products) == (50, 300)
    assert Product.objects.count() == 300 and Store.objects.count() == 50
    assert ProductVariant.objects.count() == result.variants
    assert ProductImage.objects.count() == result.images
    assert not Product.objects.exclude(category__store_id=F("store_id")).exists()
    owner = User.objects.create_user("+919000000001")  # the ORM after COPY: no id taken twice
    store = Store.objects.create(owner=owner, name="After", slug="after-copy", whatsapp=owner.phone)
    Product.objects.create(store=store, name="Tea", price=10)
    assert Store.objects.count() == 51 and Product.objects.count() == 301
    with pytest.raises(ValueError, match="stores and products must be positive"):
        bulk.copy_stores(stores=0, products=6)


def test_unique_values_already_taken_in_the_database_are_skipped():
    taken_in_db = {"asha-store", "asha-store-pune"}
    chosen = seed._claim(
        [iter(["asha-store", "asha-store-pune", "asha-store-2"]), iter(["bala-store", "x"])],
        seen=set(),
        taken=lambda values: [value for value in values if value in taken_in_db],
    )
    assert chosen == ["asha-store-2", "bala-store"]


@pytest.mark.parametrize(
    "args,message",
    [
        (("--stores", "0", "--products", "5"), "--stores must be a whole number of at least 1"),
        (("--stores", "-2", "--products", "5"), "--stores must be a whole number of at least 1"),
        (("--stores", "3", "--products-per-store", "0"), "--products-per-store must be a whole number of at"),
        (("--stores", "3", "--products", "-1"), "--products-per-store must be a whole number of at"),
        (("--products", "5"), "Give --stores N too"),
        ((), "Nothing to do"),
    ],
)
def test_bad_counts_are_refused_with_a_clear_message_and_write_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        run_seed(*args)
    assert not Store.objects.exists()


# --- demo store ----------------------------------------------------------------------------------


def test_demo_twice_creates_the_demo_store_once_and_prints_its_link_both_times():
    first = run_seed("--demo")
    events_after_first = OutboxEvent.objects.count()
    second = run_seed("--demo")

    store = Store.objects.get(slug="demo")
    assert Store.objects.count() == 1
    assert store.owner.phone == "+919999999999"
    assert store.owner.name == "Demo Shopkeeper"
    assert store.share_url in first and store.share_url in second
    assert "already exists" in second
    assert OutboxEvent.objects.count() == events_after_first  # the second run changed nothing


def test_the_demo_store_is_built_through_the_services_and_emits_their_events():
    run_seed("--demo")
    store = Store.objects.get(slug="demo")

    types = Counter(OutboxEvent.objects.filter(aggregateid=str(store.pk)).values_list("type", flat=True))
    assert types == {
        "store.created": 1,
        "category.created": 4,
        "product.created": 12,
        "delivery_settings.changed": 1,
        "coupon.created": 1,
    }


def test_the_demo_store_charges_for_delivery_and_has_a_welcome_code(client):
    run_seed("--demo")
    store = Store.objects.get(slug="demo")

    terms = delivery_terms(store.pk)
    assert (terms.flat_fee, terms.free_above, [zone.fee for zone in terms.zones]) == (
        Decimal("40.00"),
        Decimal("499.00"),
        [Decimal("30.00")],
    )
    coupon = coupon_terms(store.pk, "welcome10")
    assert coupon is not None and coupon.first_order_only and coupon.value == Decimal("10")
    assert "Free delivery above ₹499" in client.get("/s/demo/").content.decode()


def test_demo_products_have_images_variants_discounts_and_both_hidden_and_sold_out_items():
    run_seed("--demo")
    products = Product.objects.filter(store__slug="demo")

    assert products.count() == 12
    assert products.values("category").distinct().count() == 4
    for product in products:
        image = ProductImage.objects.get(product=product)
        assert image.small.endswith(".webp")
        assert all(default_storage.exists(path) for path in (image.original, image.small, image.large))
    assert products.filter(variants__isnull=False).distinct().count() >= 2
    assert products.filter(compare_at_price__isnull=False).count() >= 2
    assert products.filter(stock=0).count() == 1
    assert products.filter(is_active=False).count() == 1


def test_demo_refuses_clearly_when_the_demo_phone_already_owns_another_store():
    owner = User.objects.create_user(seed.DEMO_PHONE)
    Store.objects.create(owner=owner, name="Other", slug="other-shop", whatsapp=seed.DEMO_PHONE)

    with pytest.raises(CommandError, match="Could not create the demo store: You already have a store."):
        run_seed("--demo")
    assert not Store.objects.filter(slug="demo").exists()


def test_demo_photo_is_a_png_of_the_products_initials():
    photo = seed.demo_photo("Garam Masala", "#b5542d")
    assert photo.name == "garam-masala.png"
    assert photo.read(8) == b"\x89PNG\r\n\x1a\n"
    assert seed._initials("Hand-painted Diya Set") == "HP"
