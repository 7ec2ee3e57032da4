"""Index review: every query a buyer's, a merchant's or an API client's request makes is served by an index.

A PostgreSQL database is seeded with 2,000 stores of Zipf-like sizes, orders, login codes and tokens,
then ANALYZEd. Every storefront page, dashboard page, API operation and login step is requested
through Django's test client for one small store, and the merchant's lists for the largest store;
every SQL statement they run is captured, and each distinct one is EXPLAINed under
`enable_seqscan = off`, so a plan that still reads a table of ours whole means no index can serve it.

A statement fails the review when its plan has
- a Seq Scan of one of our tables;
- an index scan whose condition does not bind the index's first column (a walk of the whole index);
- a Sort of far more rows than the statement returns (a whole store sorted to show one page).
A Hash or a Sort can only grow with the table when something under it reads the table whole, which
the first two catch.

The number of queries of each page is also counted for the small store with 200 stores around it
and again with 2,000: it must not change.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Max
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from dukaan.accounts.models import ApiToken, LoginCode, Membership, User
from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import create_api_token
from dukaan.analytics.models import StoreDay
from dukaan.api.models import IdempotencyRecord
from dukaan.catalog import domains, services
from dukaan.catalog.events import STORE_UPDATED
from dukaan.catalog.models import Category, Product, Store, StoreDomain
from dukaan.catalog.seed import seed_stores
from dukaan.conftest import make_store, png_upload
from dukaan.events.consumers import registered_groups
from dukaan.events.local import RELAY_BATCH, consume_once, prune_outbox, relay_once
from dukaan.events.models import ConsumerOffset, OutboxEvent
from dukaan.events.outbox import outbox_event
from dukaan.orders.models import Order, OrderCharge, OrderDiscount, OrderLine
from dukaan.orders.services import Buyer, CartLine, place_order
from dukaan.promotions.tests.helpers import make_coupon
from dukaan.search.backend import SearchQuery
from dukaan.search.service import database_search
from dukaan.storefront import view_counts

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="EXPLAIN plans are PostgreSQL's; the PostgreSQL pass of make test runs this",
    ),
    pytest.mark.django_db,
]

# The apps whose tables must never be read whole by a request. Django's own tables are not checked:
# django_session is read by its primary key, but the planner, seeing a nearly empty table here,
# may walk its expire_date index instead, which says nothing about a busy site.
CHECKED_APPS = ("catalog", "orders", "accounts", "events", "analytics", "api", "search", "invoices")
# Tables of those apps a request may read whole, and why. None needs to today; keep it that way.
ALLOWED_WHOLE_READS: dict[str, str] = {}
# A sort of more rows than this, and than RATIO times what the statement returns, sorts a whole
# store (or table) to show one page: an index in the sort's order should hand the page out instead.
SORTED_ROWS_LIMIT, SORTED_ROWS_RATIO = 500, 10
# On average; the seeder sizes shops Zipf-like, as real ones are: most tiny, a few huge.
PRODUCTS_PER_STORE = 10
FEW_STORES, MANY_STORES = 200, 2_000
# Unrelayed events, and as many relayed ones: a sort of that many to relay one page gets caught.
EVENT_BACKLOG = 10_000
MERCHANT_PHONE = "+919812300001"
ADMIN_PHONE = "+919812300002"  # an Admin of the merchant's store, whom the owner could make owner
JSON = "application/json"
BUYER = {
    "name": "Ravi Kumar",
    "phone": "+919812300099",
    "address": "12 MG Road, Indiranagar",
    "pin_code": "560038",
}


# --- Seeding ------------------------------------------------------------------------------------------


def seed_catalog(*, stores: int, products: int) -> list[int]:
    """Bulk-load `stores` shops of `products` products each; the ids of the new stores.

    The one place this test seeds the catalog, so a faster bulk path only needs changing here."""
    before = Store.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    seed_stores(stores=stores, products=products, seed=stores * 1_000 + products)
    return list(Store.objects.filter(pk__gt=before).values_list("pk", flat=True))


def seed_around(store_ids: list[int], rng: random.Random) -> None:
    """What stores accumulate besides their catalog: orders (one store in ten), daily numbers, a
    token each, idempotency records, and login codes from many numbers."""
    now = timezone.now()
    ordering = store_ids[::10]
    orders = Order.objects.bulk_create(
        Order(
            store_id=store_id,
            number=number,
            idempotency_key=f"seed-{store_id}-{number}",
            status=rng.choice(Order.Status.values),
            payment_method="cod",
            buyer_name="Seeded buyer",
            buyer_phone="+919800000000",
            address="Seeded address, somewhere",
            pin_code="560001",
            currency="INR",
            # 499.00 less a 49.90 coupon, plus 40.00 delivery: charges and discounts are read by order too.
            subtotal=Decimal("499.00"),
            discount_total=Decimal("49.90"),
            delivery_fee=Decimal("40.00"),
            total=Decimal("489.10"),
        )
        for store_id in ordering
        for number in range(1, 31)
    )
    Order.objects.filter(pk__in=[order.pk for order in orders]).update(created_at=now - timedelta(days=3))
    Store.objects.filter(pk__in=ordering).update(order_counter=30)
    OrderLine.objects.bulk_create(
        OrderLine(
            store_id=order.store_id,
            order=order,
            name="Seeded item",
            unit_price=Decimal("499.00"),
            quantity=1,
            line_total=Decimal("499.00"),
            discount=Decimal("49.90"),
            taxable_value=Decimal("449.10"),
        )
        for order in orders
    )
    OrderCharge.objects.bulk_create(
        OrderCharge(
            store_id=order.store_id,
            order=order,
            kind=OrderCharge.Kind.DELIVERY,
            amount=Decimal("40.00"),
            taxable_value=Decimal("40.00"),
        )
        for order in orders
    )
    OrderDiscount.objects.bulk_create(
        OrderDiscount(
            store_id=order.store_id,
            order=order,
            source=OrderDiscount.Source.COUPON,
            source_id=1,
            label="SEED10",
            amount=Decimal("49.90"),
        )
        for order in orders
    )
    StoreDay.objects.bulk_create(
        StoreDay(store_id=store_id, day=(now - timedelta(days=offset)).date(), views=offset, orders=0)
        for store_id in store_ids
        for offset in range(1, 8)
    )
    ApiToken.objects.bulk_create(
        ApiToken(store_id=store_id, name="POS", prefix="dk_seed", token_hash=f"seed-{store_id}")
        for store_id in store_ids
    )
    IdempotencyRecord.objects.bulk_create(
        IdempotencyRecord(
            store_id=store_id,
            scope="buyer",
            key=f"k{n}",
            request_hash="x",
            status_code=201,
            response_body="{}",
        )
        for store_id in ordering
        for n in range(10)
    )
    LoginCode.objects.bulk_create(
        LoginCode(
            phone=f"+91{rng.choice('789')}{rng.randrange(10**9):09d}",
            code_hash="x" * 64,
            ip=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            created_at=now - timedelta(minutes=rng.randrange(60 * 24 * 7)),
            expires_at=now,
        )
        for _ in range(len(store_ids) * 3)
    )


def grow_to(total: int, rng: random.Random) -> None:
    """Add stores (Zipf-sized by the seeder) until there are `total` besides the merchant's."""
    added = seed_catalog(stores=total - (Store.objects.count() - 1), products=PRODUCTS_PER_STORE)
    seed_around(added, rng)


def make_merchant_store():
    """The store every page is asked for: a few products, a variant, a photo, a category, an order."""
    store = make_store(MERCHANT_PHONE, "index-review")
    kurtas = services.create_category(store=store, name="Kurtas")
    services.create_category(store=store, name="Empty shelf")
    services.create_product(
        store=store,
        name="Cotton kurta",
        price=Decimal("499.00"),
        category=kurtas,
        sku="KUR-1",
        variants=[
            services.VariantInput(options={"Size": "M"}, price=Decimal("499.00"), stock=5, sku="KUR-1-M"),
            services.VariantInput(options={"Size": "L"}, price=Decimal("529.00"), stock=5),
        ],
        new_images=[png_upload()],
    )
    for number in range(4):
        services.create_product(
            store=store, name=f"Linen kurta {number}", price=Decimal("699.00"), category=kurtas, stock=20
        )
    plain = Product.objects.filter(store=store, name="Linen kurta 0").get()
    place_order(
        store=store,
        lines=[CartLine(product_id=plain.pk, variant_id=None, quantity=1, seen_price=None)],
        buyer=Buyer(**BUYER),
        payment_method="cod",
        idempotency_key="a" * 32,
    )
    Membership.objects.create(store=store, user=User.objects.create_user(ADMIN_PHONE), role="admin")
    return store


# --- Capturing --------------------------------------------------------------------------------------


class Recorder:
    """The SQL statements each labelled request ran."""

    def __init__(self) -> None:
        self.statements: dict[str, list[str]] = defaultdict(list)

    @contextmanager
    def watch(self, label: str):
        with CaptureQueriesContext(connection) as captured:
            yield
        self.statements[label].extend(query["sql"] for query in captured.captured_queries)

    def counts(self) -> dict[str, int]:
        return {label: len(statements) for label, statements in self.statements.items()}


def fresh_caches() -> None:
    """Every page is asked with cold caches, so the queries behind a cache miss are seen too."""
    for cache in caches.all():
        cache.clear()
    domains._lookups.clear()  # each process's own memory of custom domains (catalog/domains.py)


class Visitor:
    """One client (a buyer's, the merchant's or an API client's) whose requests the recorder watches."""

    def __init__(self, recorder: Recorder, *, user=None, json_bodies: bool = False, **headers) -> None:
        self.recorder, self.client, self.headers, self.json_bodies = recorder, Client(), headers, json_bodies
        if user is not None:
            self.client.force_login(user)

    def __call__(self, label: str, url: str, status: int = 200, method: str = "get", data=None, **headers):
        """Request `url` with cold caches and check the answer's status; `data` is a form, or JSON."""
        headers = {**self.headers, **headers}
        if data is not None and self.json_bodies:
            data, headers["content_type"] = json.dumps(data), JSON
        fresh_caches()
        with self.recorder.watch(label):
            response = getattr(self.client, method)(url, data, **headers)
        assert response.status_code == status, f"{label}: {method} {url} answered {response.status_code}"
        return response


# --- The walks ----------------------------------------------------------------------------------------


def read_pages(store: Store, token: str, recorder: Recorder) -> None:
    """Every page and list that only reads: the ones whose query counts must not grow."""
    view_counts.flush_views()  # starts the flush timer over, so no page flushes by chance
    ApiToken.objects.filter(store=store).update(last_used_at=None)
    product = Product.objects.filter(store=store, name="Cotton kurta").get()
    category = Category.objects.get(store=store, name="Kurtas")
    order = Order.objects.filter(store=store).first()
    buyer, merchant = Visitor(recorder), Visitor(recorder, user=store.owner)
    shop = f"/s/{store.slug}"
    buyer("storefront home", f"{shop}/")
    buyer("storefront category", f"{shop}/c/{category.pk}/")
    buyer("storefront product", f"{shop}/p/{product.pk}/")
    buyer("storefront search", f"{shop}/search?q=kurta")
    buyer("storefront Google feed", f"{shop}/feeds/google.xml")
    buyer("storefront Meta feed", f"{shop}/feeds/meta.csv")
    buyer("storefront policy", f"{shop}/policies/returns/")
    buyer("storefront empty cart", f"{shop}/cart/")
    buyer("storefront order page", f"{shop}/o/{order.public_token}/")
    buyer("storefront sitemap", f"{shop}/sitemap.xml")
    buyer("storefront robots.txt", f"{shop}/robots.txt")
    buyer(
        "storefront language switch", f"{shop}/language/", 302, "post", {"language": "hi", "next": f"{shop}/"}
    )
    buyer("storefront home in Hindi", f"{shop}/")
    buyer("robots.txt", "/robots.txt")
    buyer("sitemap index", "/sitemap.xml")
    for name in ("home", "products", "bulk_edit", "orders", "categories", "api_tokens", "store_settings"):
        merchant(f"dashboard {name}", reverse(f"dashboard:{name}"))
    merchant("dashboard search_synonyms", reverse("dashboard:search_synonyms"))
    merchant("dashboard store_policies", reverse("dashboard:store_policies"))
    merchant("dashboard store_theme", reverse("dashboard:store_theme"))
    merchant("dashboard store_theme_preview", reverse("dashboard:store_theme_preview"))
    merchant("dashboard store_audit", reverse("dashboard:store_audit"))
    merchant("dashboard store_domain", reverse("dashboard:store_domain"))
    buyer("caddy asks for a domain", "/domains/allowed?domain=shop.index-review.in", 404)
    merchant("dashboard product_edit", reverse("dashboard:product_edit", args=[product.pk]))
    merchant("dashboard order_detail", reverse("dashboard:order_detail", args=[order.number]))
    api = Visitor(recorder, HTTP_AUTHORIZATION=f"Bearer {token}")
    for path in ("me", "store", "categories", "products", "orders"):
        api(f"api GET /{path}", f"/api/v1/{path}")
    api("api GET /products/{id}", f"/api/v1/products/{product.pk}")
    api("api GET /orders/{id}", f"/api/v1/orders/{order.pk}")
    for path in ("", "/products", f"/products/{product.pk}", "/search?q=kurta"):
        buyer(f"api buyer GET {re.sub(r'[0-9]+', '{id}', path) or '/'}", f"/api/v1/stores/{store.slug}{path}")


def buy_and_search(store: Store, recorder: Recorder) -> None:
    """A buyer's cart, checkout and order page; the search filters; the search engine's fallback."""
    product = Product.objects.filter(store=store, name="Cotton kurta").get()
    variant = product.variants.order_by("position").first()
    category = Category.objects.get(store=store, name="Kurtas")
    buyer, shop = Visitor(recorder), f"/s/{store.slug}"
    line = {"product": product.pk, "variant": variant.pk, "quantity": 1}
    buyer("storefront cart add", f"{shop}/cart/add/", 302, "post", line)
    buyer("storefront cart", f"{shop}/cart/")
    buyer("storefront PIN code", f"{shop}/cart/pin/", 302, "post", {"pin_code": "560038", "next": "checkout"})
    make_coupon(store, code="WELCOME10", min_order=None)  # the checkout counts its use
    buyer(
        "storefront coupon code",
        f"{shop}/cart/coupon/",
        302,
        "post",
        {"code": "WELCOME10", "next": "checkout"},
    )
    page = buyer("storefront checkout", f"{shop}/checkout/").content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page)[1]
    form = {**BUYER, "payment_method": "cod", "idempotency_key": key}
    placed = buyer("storefront checkout place", f"{shop}/checkout/", 302, "post", form)
    buyer("storefront order page", placed.url)
    for query in ("q=kurta&sort=price_asc", "q=kurta&in_stock=1&min_price=100", f"category={category.pk}"):
        buyer("storefront search filters", f"{shop}/search?{query}")
    with recorder.watch("storefront view counts flush"):
        view_counts.flush_views()
    with recorder.watch("search database fallback"):
        database_search(SearchQuery(store_id=store.pk, text="cotton kurta", limit=20))


def manage(store: Store, recorder: Recorder) -> None:
    """Every dashboard filter, form and change."""
    merchant = Visitor(recorder, user=store.owner)
    plain = Product.objects.filter(store=store, name="Linen kurta 1").get()
    category = Category.objects.get(store=store, name="Kurtas")
    order = Order.objects.filter(store=store).first()
    today = timezone.localdate().isoformat()
    products, orders = reverse("dashboard:products"), reverse("dashboard:orders")
    for query in (
        "q=kurta",
        "q=KUR-1-M",
        f"category={category.pk}",
        "show=hidden",
        "show=out_of_stock",
        "page=2",
    ):
        merchant("dashboard products filtered", f"{products}?{query}")
    for query in ("status=placed", f"day={today}", f"status=placed&day={today}", "page=2"):
        merchant("dashboard orders filtered", f"{orders}?{query}")
    merchant("dashboard bulk_edit search", reverse("dashboard:bulk_edit") + "?q=linen")
    merchant("dashboard product_create", reverse("dashboard:product_create"))
    merchant("dashboard store_create", reverse("dashboard:store_create"), 302)
    merchant("dashboard product_delete", reverse("dashboard:product_delete", args=[plain.pk]))
    settings_form = {
        "name": "Index review",
        "slug": store.slug,
        "whatsapp": MERCHANT_PHONE,
        "currency": "INR",
    }
    merchant("dashboard store_settings save", reverse("dashboard:store_settings"), 302, "post", settings_form)
    synonyms = {"text": "kurti, kurta"}
    merchant("dashboard search_synonyms save", reverse("dashboard:search_synonyms"), 302, "post", synonyms)
    policies = {"returns": "Exchanges within 7 days.", "shipping": "", "privacy": "", "terms": ""}
    merchant("dashboard store_policies save", reverse("dashboard:store_policies"), 302, "post", policies)
    theme = {"theme": "kirana", "colour": "#1a6b3c", "announcement": "Fresh vegetables daily"}
    merchant("dashboard store_theme save", reverse("dashboard:store_theme"), 302, "post", theme)
    no_variants = {"variants-TOTAL_FORMS": "0", "variants-INITIAL_FORMS": "0", "is_active": "on"}
    product_form = {"name": "Silk kurta", "price": "999", "category": category.pk, **no_variants}
    merchant("dashboard product_create save", reverse("dashboard:product_create"), 302, "post", product_form)
    product_form = {**product_form, "name": "Linen kurta one", "stock": "3"}
    edit = reverse("dashboard:product_edit", args=[plain.pk])
    merchant("dashboard product_edit save", edit, 302, "post", product_form)
    visibility = reverse("dashboard:product_visibility", args=[plain.pk])
    merchant("dashboard product_visibility", visibility, 302, "post", {"show": "0"})
    bulk = {"product": [plain.pk], f"price_{plain.pk}": "599", f"stock_{plain.pk}": "4"}
    merchant("dashboard bulk_edit save", reverse("dashboard:bulk_edit"), 302, "post", bulk)
    detail = reverse("dashboard:order_detail", args=[order.number])
    merchant("dashboard order status", detail, 302, "post", {"status": "accepted"})
    merchant("dashboard orders unpaid", reverse("dashboard:orders") + "?payment=unpaid")
    pay = reverse("dashboard:order_payment", args=[order.number])
    merchant("dashboard order payment", pay, 302, "post", {"amount": "1", "method": "cash"})
    block = reverse("dashboard:order_cod_block", args=[order.number])
    merchant("dashboard order cod block", block, 302, "post", {"block": "1"})
    merchant("dashboard order cod unblock", block, 302, "post", {"block": "0"})
    statement = {"text": f"05-12-2026 UPI/CR/123456789012/RAVI/REF {order.pay_reference} 1.00 Cr"}
    merchant("dashboard match upi", reverse("dashboard:match_upi_payments"))
    merchant("dashboard match upi save", reverse("dashboard:match_upi_payments"), 200, "post", statement)
    merchant("dashboard unfinished checkouts", reverse("dashboard:drafts"))
    # The first download issues the invoice (the consumer has not run); the buyer's reads it.
    merchant("dashboard order_invoice", reverse("dashboard:order_invoice", args=[order.number]))
    Visitor(recorder)("storefront order invoice", f"/s/{store.slug}/o/{order.public_token}/invoice.pdf")
    merchant("dashboard category create", reverse("dashboard:categories"), 302, "post", {"name": "Dupattas"})
    shelf = Category.objects.get(store=store, name="Dupattas")
    rename = reverse("dashboard:category_rename", args=[shelf.pk])
    merchant("dashboard category rename", rename, 302, "post", {"name": "Stoles"})
    merchant("dashboard category delete", reverse("dashboard:category_delete", args=[shelf.pk]), 302, "post")
    token_form = {"name": "stock sync", "scopes": ["catalog:read", "catalog:write"]}
    merchant("dashboard token create", reverse("dashboard:api_tokens"), 200, "post", token_form)
    made = ApiToken.objects.get(store=store, name="stock sync")
    merchant("dashboard token revoke", reverse("dashboard:api_token_revoke", args=[made.pk]), 302, "post")
    staff = reverse("dashboard:staff")
    merchant("dashboard staff", staff)
    merchant("dashboard staff invite", staff, 302, "post", {"phone": "98123 00003", "role": "manager"})
    make_owner = reverse("dashboard:staff_owner", args=[User.objects.get(phone=ADMIN_PHONE).pk])
    merchant("dashboard staff_owner", make_owner)
    # Refused at the last check (the store's link), after every read the hand-over makes.
    merchant("dashboard staff_owner unconfirmed", make_owner, 400, "post", {"confirm": "not-the-link"})
    own_domain(store, recorder)
    delete = reverse("dashboard:product_delete", args=[plain.pk])
    merchant("dashboard product_delete confirm", delete, 302, "post")


def own_domain(store: Store, recorder: Recorder) -> None:
    """A custom domain added, verified, served and removed (docs/domains.md)."""
    product = Product.objects.filter(store=store, name="Cotton kurta").get()
    variant = product.variants.order_by("position").first()
    merchant, domain = Visitor(recorder, user=store.owner), "shop.index-review.in"
    shopper = Visitor(recorder)  # with a cart on the platform when the domain is verified
    line = {"product": product.pk, "variant": variant.pk, "quantity": 1}
    shopper("storefront cart add before a custom domain", f"/s/{store.slug}/cart/add/", 302, "post", line)
    page = reverse("dashboard:store_domain")
    merchant("dashboard store_domain add", page, 302, "post", {"domain": domain})
    # Verified as "Verify now" would after its DNS lookup (that: catalog/tests/test_domains.py).
    StoreDomain.objects.filter(store=store).update(verified_at=timezone.now())
    domains.forget(slugs=(store.slug,), domains=(domain,))
    buyer = Visitor(recorder, HTTP_HOST=domain)
    buyer("custom domain home", "/")
    buyer("custom domain product", f"/p/{product.pk}/")
    buyer("custom domain sitemap", "/sitemap.xml")
    Visitor(recorder)("platform link to a custom domain", f"/s/{store.slug}/", 301)
    moved = shopper("platform link to a custom domain with a cart", f"/s/{store.slug}/cart/", 301)
    handed = urlsplit(moved["Location"])
    buyer("custom domain takes the cart from the platform", f"{handed.path}?{handed.query}", 302)
    merchant("caddy asks for a verified domain", f"/domains/allowed?domain={domain}")
    merchant("dashboard store_domain remove", reverse("dashboard:store_domain_remove"), 302, "post")


def use_the_api(store: Store, token: str, recorder: Recorder) -> None:
    """Every merchant API operation with a real token, and the buyer's quote, order and status."""
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    api, v1 = Visitor(recorder, json_bodies=True, **bearer), "/api/v1"
    product = Product.objects.filter(store=store, name="Cotton kurta").get()
    variant = product.variants.order_by("position").first()
    category = Category.objects.get(store=store, name="Kurtas")
    order = Order.objects.filter(store=store).first()
    today = timezone.localdate().isoformat()
    for query in ("q=kurta", "q=KUR-1-M", f"category_id={category.pk}", "visibility=hidden"):
        api("api GET /products filtered", f"{v1}/products?{query}")
    cursor = api("api GET /products page", f"{v1}/products?limit=1").json()["next_cursor"]
    api("api GET /products next page", f"{v1}/products?limit=1&cursor={cursor}")
    for query in ("status=placed", f"day={today}"):
        api("api GET /orders filtered", f"{v1}/orders?{query}")
    cursor = api("api GET /orders page", f"{v1}/orders?limit=1").json()["next_cursor"]
    api("api GET /orders next page", f"{v1}/orders?limit=1&cursor={cursor}")
    api("api PATCH /store", f"{v1}/store", 200, "patch", {"name": "Index review shop"})
    made = api("api POST /categories", f"{v1}/categories", 201, "post", {"name": "Caps"}).json()
    shelf = f"{v1}/categories/{made['id']}"
    api("api GET /categories/{id}", shelf)
    api("api PATCH /categories/{id}", shelf, 200, "patch", {"name": "Hats"})
    api("api DELETE /categories/{id}", shelf, 204, "delete")
    cap = {"name": "Wool cap", "price": "199", "category_id": category.pk}
    cap["variants"] = [{"options": {"Size": "M"}, "price": "199", "sku": "CAP-M"}]
    made = api("api POST /products", f"{v1}/products", 201, "post", cap).json()
    item = f"{v1}/products/{made['id']}"
    kept = [{"id": made["variants"][0]["id"], "options": {"Size": "M"}, "price": "249"}]
    api("api PATCH /products/{id}", item, 200, "patch", {"price": "249", "variants": kept})
    uploader = Visitor(recorder, **bearer)  # photos go as multipart/form-data
    photo = uploader(
        "api POST /products/{id}/images", f"{item}/images", 201, "post", {"images": [png_upload()]}
    )
    api(
        "api DELETE /products/{id}/images/{id}",
        f"{item}/images/{photo.json()['images'][0]['id']}",
        204,
        "delete",
    )
    stock = {"delta": -1, "variant_id": variant.pk}
    stock_url = f"{v1}/products/{product.pk}/stock"
    api("api POST /products/{id}/stock", stock_url, 200, "post", stock, HTTP_IDEMPOTENCY_KEY="stock-1")
    payments = f"{v1}/orders/{order.pk}/payments"
    api("api GET /orders/{id}/payments", payments)
    api("api POST /orders/{id}/payments", payments, 201, "post", {"amount": "1", "method": "upi"})
    statement = {"text": "05-12-2026 UPI/CR/123456789013/MEERA/REF ABCDEFGH 7.00 Cr"}
    api("api POST /payments/statement", f"{v1}/payments/statement", 200, "post", statement)
    api("api GET /checkouts/unfinished", f"{v1}/checkouts/unfinished")
    api("api GET /couriers", f"{v1}/couriers")
    api("api GET /cod-blocked-phones", f"{v1}/cod-blocked-phones")
    shipment = {"courier": "delhivery", "tracking_number": "1"}
    api("api POST /orders/{id}/shipment", f"{v1}/orders/{order.pk}/shipment", 201, "post", shipment)
    api("api GET /orders/{id}/shipment", f"{v1}/orders/{order.pk}/shipment")
    api(
        "api POST /orders/{id}/status", f"{v1}/orders/{order.pk}/status", 200, "post", {"status": "delivered"}
    )
    api("api GET /orders/{id}/invoice", f"{v1}/orders/{order.pk}/invoice")
    api("api GET /orders/{id}/invoice.pdf", f"{v1}/orders/{order.pk}/invoice.pdf")
    api("api DELETE /products/{id}", item, 204, "delete")

    buyer, shop = Visitor(recorder, json_bodies=True), f"{v1}/stores/{store.slug}"
    lines = [{"product_id": product.pk, "variant_id": variant.pk, "quantity": 1}]
    buyer("api buyer POST /cart/quote", f"{shop}/cart/quote", 200, "post", {"lines": lines})
    buyer("api buyer GET /products?category_id", f"{shop}/products?category_id={category.pk}")
    placing = {"lines": lines, "buyer": BUYER, "payment_method": "cod"}
    placed = buyer(
        "api buyer POST /orders", f"{shop}/orders", 201, "post", placing, HTTP_IDEMPOTENCY_KEY="o-1"
    )
    buyer("api buyer GET /orders/{token}", f"{shop}/orders/{placed.json()['token']}")


def large_store_lists(recorder: Recorder) -> None:
    """The merchant's lists of the largest seeded store, where sorting a whole store would show."""
    store = Store.objects.annotate(n=Count("products")).order_by("-n").first()
    _made, token = create_api_token(store=store, name="index review", scopes=Scope)
    merchant = Visitor(recorder, user=store.owner)
    for name in ("home", "products", "bulk_edit", "orders", "categories"):
        merchant(f"large store dashboard {name}", reverse(f"dashboard:{name}"))
    for query in ("show=visible", "q=silk", "page=3"):
        merchant("large store dashboard products filtered", reverse("dashboard:products") + "?" + query)
    buyer, shop = Visitor(recorder), f"/s/{store.slug}"
    newest = Product.objects.filter(store=store, is_active=True).first()
    buyer("large store storefront home", f"{shop}/")
    buyer("large store storefront product", f"{shop}/p/{newest.pk}/")
    buyer("large store storefront search", f"{shop}/search?q=silk")
    buyer("large store storefront sitemap", f"{shop}/sitemap.xml")
    buyer("large store storefront Google feed", f"{shop}/feeds/google.xml")
    with recorder.watch("large store search database fallback"):
        database_search(SearchQuery(store_id=store.pk, text="silk", limit=20))
    api = Visitor(recorder, HTTP_AUTHORIZATION=f"Bearer {token}")
    for path in ("products", "orders", "categories"):
        cursor = api(f"large store api GET /{path}", f"/api/v1/{path}").json()["next_cursor"]
        if cursor:
            api(f"large store api GET /{path} next page", f"/api/v1/{path}?cursor={cursor}")


def log_in(recorder: Recorder) -> None:
    """A merchant asks for a code and types a wrong one: the OTP limits count recent codes by number,
    by range of numbers and by address."""
    visitor = Visitor(recorder)
    visitor("login ask for a code", reverse("accounts:login"), 302, "post", {"phone": MERCHANT_PHONE})
    visitor("login wrong code", reverse("accounts:verify"), 200, "post", {"code": "000000"})


# --- Reading plans ------------------------------------------------------------------------------------


def checked_tables() -> set[str]:
    return {model._meta.db_table for name in CHECKED_APPS for model in apps.get_app_config(name).get_models()}


def leading_columns(tables: set[str]) -> dict[str, tuple[str, str | None]]:
    """Each index on `tables`: its table and its first column (None for an expression)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, t.relname, a.attname
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0] AND x.indkey[0] > 0
            WHERE t.relname = ANY(%s)
              -- A partial index holds only the rows its predicate names (outbox_unrelayed: the
              -- relay's backlog), so reading it without a condition does not read the table whole.
              AND x.indpred IS NULL
            """,
            [sorted(tables)],
        )
        return {index: (table, column) for index, table, column in cursor.fetchall()}


def whole_reads(plan: dict, tables: set[str], indexes: dict, returned: float) -> list[str]:
    """The plan's nodes that read one of `tables` whole, or sort far more rows than the statement
    returns (`returned`, the planner's estimate), described."""
    found = []
    table = plan.get("Relation Name")
    if plan["Node Type"] == "Seq Scan" and table in tables:
        found.append(f"Seq Scan on {table}" + (f" (Filter: {plan['Filter']})" if "Filter" in plan else ""))
    index = plan.get("Index Name")
    if index in indexes:
        table, column = indexes[index]
        condition = plan.get("Index Cond", "")
        bound = condition if column is None else re.search(rf'\(\s*"?{column}"?\b', condition)
        if not bound:
            found.append(
                f"{plan['Node Type']} using {index} on {table} without a condition on {column}"
                + (f" (Index Cond: {condition})" if condition else "")
                + (f" (Filter: {plan['Filter']})" if "Filter" in plan else "")
            )
    if plan["Node Type"] == "Sort" and plan["Plan Rows"] > max(
        SORTED_ROWS_LIMIT, SORTED_ROWS_RATIO * returned
    ):
        found.append(f"Sort of ~{plan['Plan Rows']} rows by {plan['Sort Key']} to return ~{returned}")
    for child in plan.get("Plans", []):
        found.extend(whole_reads(child, tables, indexes, returned))
    return found


EXPLAINED = re.compile(r"^\s*(SELECT|UPDATE|DELETE|INSERT|WITH)\b", re.IGNORECASE)


def review(*recorders: Recorder) -> list[str]:
    """Each distinct statement the recorders saw that reads a whole table, with its page and plan node."""
    tables = checked_tables() - set(ALLOWED_WHOLE_READS)
    indexes = {name: where for name, where in leading_columns(tables).items() if where[0] in tables}
    labelled = [(label, sql) for r in recorders for label, sqls in r.statements.items() for sql in sqls]
    problems, seen = [], set()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for label, sql in labelled:
            if sql in seen or not EXPLAINED.match(sql):
                continue
            seen.add(sql)
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
            nodes = whole_reads(plan, tables, indexes, returned=plan["Plan Rows"])
            problems.extend(f"[{label}] {node}\n    {sql[:600]}" for node in nodes)
    return problems


# --- The world and the tests -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The merchant's store among 200 stores, then among 2,000: the read pages' query counts at
    each size, then the whole database ANALYZEd. Emptied again afterwards."""
    folder = tmp_path_factory.mktemp("index-review")
    own_folders = override_settings(
        MEDIA_ROOT=folder / "media",
        SEARCH_URL=f"tantivy://{folder / 'search'}",
        SMS_CONSOLE_LOG=folder / "sms.log",
    )
    with django_db_blocker.unblock(), own_folders:
        rng = random.Random(11)
        store = make_merchant_store()
        _made, token = create_api_token(store=store, name="index review", scopes=Scope)
        grow_to(FEW_STORES, rng)
        few = Recorder()
        read_pages(store, token, few)
        grow_to(MANY_STORES, rng)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        many = Recorder()
        read_pages(store, token, many)
        try:
            yield {"store": store, "token": token, "few": few, "many": many}
        finally:
            fresh_caches()
            call_command("flush", interactive=False, verbosity=0)


def test_the_database_holds_2000_stores_of_skewed_sizes(world):
    per_store = Product.objects.order_by().values("store").annotate(n=Count("id")).values_list("n", flat=True)
    sizes = sorted(per_store)
    assert Store.objects.count() == MANY_STORES + 1
    assert sizes[-1] >= 100 * sizes[len(sizes) // 2]


def test_no_page_makes_more_queries_when_there_are_more_stores(world):
    # given the pages of one small store, counted among 200 stores and again among 2,000
    few, many = world["few"].counts(), world["many"].counts()
    # then each page made the same number of queries
    assert {label: (few[label], many[label]) for label in few if few[label] != many[label]} == {}
    assert set(few) == set(many)


def test_every_query_of_every_page_is_served_by_an_index(world):
    # given every page, form, change and API operation, requested on the seeded database
    recorder = Recorder()
    buy_and_search(world["store"], recorder)
    manage(world["store"], recorder)
    use_the_api(world["store"], world["token"], recorder)
    large_store_lists(recorder)
    log_in(recorder)
    # when each distinct statement is planned with sequential scans switched off
    problems = review(world["many"], recorder)
    # then none reads a whole table or sorts a whole store
    assert not problems, f"{len(problems)} statements read too much:\n" + "\n".join(problems)


def test_the_embedded_event_workers_read_by_an_index(world):
    # given events the relay has positioned and a backlog it has not reached yet (a bulk load's),
    # both larger than a page of the relay
    store = world["store"].pk
    OutboxEvent.objects.bulk_create(
        outbox_event(STORE_UPDATED, store_id=store, data={}) for _ in range(2 * EVENT_BACKLOG)
    )
    for _ in range(EVENT_BACKLOG // RELAY_BATCH):
        relay_once()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE outbox")
    assert OutboxEvent.objects.filter(position__isnull=True).count() >= EVENT_BACKLOG
    recorder = Recorder()
    # when the relay positions the next page, every group reads on from the newest, and the
    # outbox is pruned
    with recorder.watch("event relay"):
        relay_once()
    newest = OutboxEvent.objects.aggregate(newest=Max("position"))["newest"]
    for group in registered_groups().values():
        ConsumerOffset.objects.update_or_create(group=group.name, defaults={"position": newest})
        with recorder.watch(f"consumer {group.name}"):
            consume_once(group)
    with recorder.watch("outbox pruning"):
        prune_outbox(now=timezone.now() + timedelta(days=365))
    # then none of their statements reads the backlog or the kept events whole
    problems = review(recorder)
    assert not problems, f"{len(problems)} statements read too much:\n" + "\n".join(problems)


def test_the_review_catches_reads_across_all_stores(world):
    # given queries no request should make: a search over every store, codes by time alone, and
    # every store's products sorted to show ten
    recorder = Recorder()
    with recorder.watch("across stores"):
        list(Product.objects.filter(name__icontains="kurta")[:10])
        list(LoginCode.objects.filter(created_at__gt=timezone.now() - timedelta(hours=1)))
        list(Product.objects.order_by("price")[:10])
    # when they are reviewed
    problems = review(recorder)
    # then each is caught
    assert len({problem.split("\n")[1] for problem in problems}) == 3, problems
