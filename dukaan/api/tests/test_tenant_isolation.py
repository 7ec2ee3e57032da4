"""A token can never see or change another store's data: every id-taking merchant endpoint, given
another store's id, answers exactly as for an id that does not exist, and changes nothing."""

from decimal import Decimal

import pytest

from dukaan.catalog import services
from dukaan.catalog.models import Category, Product, ProductImage
from dukaan.conftest import png_upload
from dukaan.events.models import OutboxEvent
from dukaan.orders.models import Order
from dukaan.promotions.models import Coupon, Offer
from dukaan.promotions.tests.helpers import make_coupon, make_offer
from dukaan.shipping.models import CodBlockedPhone
from dukaan.shipping.services import block_cod_phone

from .conftest import make_order, problem

pytestmark = pytest.mark.django_db

MISSING = 987654321


@pytest.fixture
def theirs(other_store):
    category = services.create_category(store=other_store, name="Secret category")
    product = services.create_product(
        store=other_store,
        name="Secret product",
        price=Decimal("999"),
        stock=5,
        category=category,
        variants=[services.VariantInput(options={"Size": "M"}, price=Decimal("999"), stock=3)],
        new_images=[png_upload()],
    )
    order = make_order(other_store, product, variant=product.variants.get(), key="secret-order")
    return {
        "category": category.pk,
        "product": product.pk,
        "image": product.images.get().pk,
        "order": order.pk,
        "coupon": make_coupon(other_store, code="SECRET").pk,
        "offer": make_offer(other_store, name="Secret offer").pk,
        "cod_block": block_cod_phone(store=other_store, phone="+919812300009").pk,
    }


# (method, path template, body): {category}, {product}, {image} and {order} are filled with ids.
MERCHANT_CALLS_WITH_IDS = [
    ("get", "/categories/{category}", None),
    ("patch", "/categories/{category}", {"name": "Hacked"}),
    ("delete", "/categories/{category}", None),
    ("get", "/products/{product}", None),
    ("patch", "/products/{product}", {"name": "Hacked", "price": "1"}),
    ("delete", "/products/{product}", None),
    ("upload", "/products/{product}/images", None),
    ("delete", "/products/{product}/images/{image}", None),
    ("post", "/products/{product}/stock", {"stock": 0}),
    ("get", "/orders/{order}", None),
    ("post", "/orders/{order}/status", {"status": "cancelled"}),
    ("put", "/products/{product}/tax", {"hsn_code": "6109", "rate": "5", "valid_from": "2025-10-01"}),
    ("delete", "/products/{product}/tax", None),
    ("put", "/categories/{category}/tax", {"hsn_code": "6109", "rate": "5", "valid_from": "2025-10-01"}),
    ("delete", "/categories/{category}/tax", None),
    ("get", "/orders/{order}/invoice", None),
    ("get", "/orders/{order}/invoice.pdf", None),
    ("get", "/orders/{order}/payments", None),
    ("post", "/orders/{order}/payments", {"amount": "1", "method": "cash"}),
    ("get", "/orders/{order}/refunds", None),
    ("post", "/orders/{order}/refunds", {"amount": "1", "method": "cash"}),
    ("get", "/coupons/{coupon}", None),
    ("patch", "/coupons/{coupon}", {"value": "99"}),
    ("post", "/coupons/{coupon}/pause", None),
    ("post", "/coupons/{coupon}/resume", None),
    ("get", "/offers/{offer}", None),
    ("patch", "/offers/{offer}", {"name": "Hacked"}),
    ("post", "/offers/{offer}/pause", None),
    ("post", "/offers/{offer}/resume", None),
    ("post", "/orders/{order}/shipment", {"courier": "delhivery"}),
    ("get", "/orders/{order}/shipment", None),
    ("delete", "/cod-blocked-phones/{cod_block}", None),
]


def test_every_merchant_operation_with_an_id_is_covered_here():
    from dukaan.api.api import api

    schema = api.get_openapi_schema()
    with_ids = {
        (method, path.removeprefix("/api/v1"))
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "{" in path and operation.get("security")
    }
    covered = {
        ("post" if method == "upload" else method, path.replace("{category}", "{category_id}"))
        for method, path, _ in MERCHANT_CALLS_WITH_IDS
    }
    covered = {
        (
            method,
            path.replace("{product}", "{product_id}")
            .replace("{image}", "{image_id}")
            .replace("{order}", "{order_id}")
            .replace("{coupon}", "{coupon_id}")
            .replace("{offer}", "{offer_id}")
            .replace("{cod_block}", "{block_id}"),
        )
        for method, path in covered
    }
    assert with_ids == covered


def _call(api, method, template, body, ids):
    path = template.format(**ids)
    if method == "upload":
        return api.upload(path, [png_upload()])
    if method in ("get", "delete"):
        return getattr(api, method)(path)
    return getattr(api, method)(path, body)


def _snapshot(ids) -> list:
    return [
        list(Category.objects.filter(pk=ids["category"]).values()),
        list(Product.objects.filter(pk=ids["product"]).values()),
        list(ProductImage.objects.filter(pk=ids["image"]).values()),
        list(Order.objects.filter(pk=ids["order"]).values()),
        list(Coupon.objects.filter(pk=ids["coupon"]).values()),
        list(Offer.objects.filter(pk=ids["offer"]).values()),
        list(CodBlockedPhone.objects.filter(pk=ids["cod_block"]).values()),
        OutboxEvent.objects.count(),
    ]


@pytest.mark.parametrize("method, template, body", MERCHANT_CALLS_WITH_IDS)
def test_another_stores_id_is_the_same_404_as_a_missing_one(api, store, theirs, method, template, body):
    # My own objects exist too, so an object-level check (not a route-level one) must refuse.
    mine = make_order(store, services.create_product(store=store, name="Mine", price=Decimal("10"), stock=5))
    assert mine.pk != theirs["order"]
    before = _snapshot(theirs)
    foreign = problem(_call(api, method, template, body, theirs), 404)
    missing = problem(_call(api, method, template, body, dict.fromkeys(theirs, MISSING)), 404)
    assert foreign.pop("instance") != missing.pop("instance")
    assert foreign == missing
    assert _snapshot(theirs) == before


def test_a_foreign_category_or_variant_inside_a_body_reads_as_missing(api, store, theirs):
    foreign = problem(
        api.post("/products", {"name": "X", "price": "5", "category_id": theirs["category"]}), 422
    )
    missing = problem(api.post("/products", {"name": "X", "price": "5", "category_id": MISSING}), 422)
    assert foreign["errors"] == missing["errors"]
    mine = services.create_product(store=store, name="Mine", price=Decimal("10"), stock=5)
    their_variant = Product.objects.get(pk=theirs["product"]).variants.get().pk
    foreign = problem(api.post(f"/products/{mine.pk}/stock", {"stock": 1, "variant_id": their_variant}), 422)
    missing = problem(api.post(f"/products/{mine.pk}/stock", {"stock": 1, "variant_id": MISSING}), 422)
    assert foreign["errors"] == missing["errors"]


def test_lists_show_only_my_store(api, store, theirs):
    assert api.get("/categories").json()["items"] == []
    assert api.get("/products").json()["items"] == []
    assert api.get("/orders").json()["items"] == []
    assert api.get("/coupons").json()["items"] == [] and api.get("/offers").json()["items"] == []
    assert api.get("/products", {"category_id": theirs["category"]}).json()["items"] == []
