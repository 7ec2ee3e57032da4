"""Schemathesis fuzzes every operation of the live schema with valid and invalid data.

The schema is fetched from the running application's /api/v1/openapi.json (the Django WSGI app,
in process) and every generated request goes through the whole Django stack. Checks: no 5xx, and
every response conforms to the schema (status code, content type, body, headers); invalid data
is refused. A valid token of a seeded store is sent, and rate limits are off (conftest).

Generated ids are mostly random, so most would only ever meet a 404; to reach the code behind it,
about half of the valid cases have their ids swapped for the seeded store's real ones. The fuzzer's
own values stay near the middle of their ranges, where nothing breaks: a third of the valid cases
have their dates set to the calendar's ends and their integers to a BIGINT's edges and far beyond
(where 500s once hid: `?day=9999-12-31`, an id too large for the database driver).
The number of cases run is written to test-artifacts/schemathesis.txt.
"""

import time
import zlib
from collections import Counter
from decimal import Decimal

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.db.models import F
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import create_api_token
from dukaan.catalog import services as catalog
from dukaan.catalog.models import Category, Product, ProductImage, ProductVariant
from dukaan.conftest import change_store, png_upload
from dukaan.orders.models import Order
from dukaan.orders.services import change_order_status
from dukaan.payments.tests.helpers import pay
from dukaan.promotions.models import Coupon, Offer
from dukaan.promotions.services import CouponInput, OfferInput, create_coupon, create_offer

from .conftest import BUYER, make_order

MAX_EXAMPLES = 30
# Dates at and beyond the ends of Python's calendar, and integers at and beyond a BIGINT's.
EXTREME_DAYS = ["0001-01-01", "9999-12-31", "0000-01-01", "2024-02-29", "2023-02-29"]
HUGE_INTEGERS = [2**63 - 1, 2**63, 10**30, -(2**63) - 1, -1]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
REPORT = settings.BASE_DIR / "test-artifacts" / "schemathesis.txt"
settings_for_hypothesis = hypothesis_settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)


class Seed:
    """A store with a category, products with variants and photos, and an order; refilled as the
    fuzzer deletes things."""

    def __init__(self, store, token: str) -> None:
        self.store, self.token = store, token
        # A UPI id, so UPI orders can be placed too.
        change_store(store, upi_id="seed@okaxis")
        self.refill()

    def refill(self) -> None:
        store = self.store
        if not Category.objects.filter(store=store).exists():
            catalog.create_category(store=store, name="Seeded")
        if Product.objects.filter(store=store).count() < 2:
            catalog.create_product(
                store=store,
                name="Seeded kurta",
                price=Decimal("499.00"),
                stock=50,
                category=Category.objects.filter(store=store).first(),
                variants=[
                    catalog.VariantInput(options={"Size": "M"}, price=Decimal("499.00"), stock=20),
                    catalog.VariantInput(options={"Size": "L"}, price=Decimal("529.00"), stock=20),
                ],
                new_images=[png_upload()],
            )
        if not Coupon.objects.filter(store=store).exists():
            create_coupon(store=store, data=CouponInput(code="SEEDED", kind="percent", value=Decimal("10")))
        if not Offer.objects.filter(store=store).exists():
            create_offer(store=store, data=OfferInput(name="Seeded", kind="order", flat=Decimal("50")))
        if not Order.objects.filter(store=store).exists():
            product = catalog.create_product(
                store=store, name="Seeded tumbler", price=Decimal("99"), stock=None
            )
            make_order(store, product, key=f"seed-{time.monotonic_ns()}")
        if not Order.objects.filter(store=store, accepted_at__isnull=False).exists():
            # An accepted order has an invoice: GET /orders/{id}/invoice answers more than 404s.
            product = catalog.create_product(store=store, name="Seeded lamp", price=Decimal(250), stock=None)
            order = make_order(store, product, key=f"seed-{time.monotonic_ns()}")
            change_order_status(order=order, status="accepted")
        if not Order.objects.filter(store=store, amount_refunded__lt=F("amount_paid")).exists():
            # A paid order with money left to give back: POST /orders/{id}/refunds answers more than 422s.
            product = catalog.create_product(store=store, name="Seeded mat", price=Decimal(5000), stock=None)
            pay(make_order(store, product, key=f"seed-{time.monotonic_ns()}"))

    def ids(self, name: str) -> list:
        store = self.store
        found = {
            "category_id": lambda: Category.objects.filter(store=store).values_list("pk", flat=True),
            "product_id": lambda: Product.objects.filter(store=store).values_list("pk", flat=True),
            "image_id": lambda: ProductImage.objects.filter(store=store).values_list("pk", flat=True),
            "order_id": lambda: Order.objects.filter(store=store).values_list("pk", flat=True),
            "coupon_id": lambda: Coupon.objects.filter(store=store).values_list("pk", flat=True),
            "offer_id": lambda: Offer.objects.filter(store=store).values_list("pk", flat=True),
            "token": lambda: Order.objects.filter(store=store).values_list("public_token", flat=True),
            "slug": lambda: [store.slug],
        }.get(name)
        return sorted(found()) if found else []

    def aim(self, case) -> None:
        """Point most valid cases at real objects and a real buyer, so they reach the code behind
        the 404s and 422s. Each choice is drawn from the generated case, so runs repeat exactly."""
        if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
            return
        seed = repr((case.path_parameters, case.query, case.body))
        for name in list(case.path_parameters or {}):
            real = self.ids(name)
            if real and _draw((seed, name), 4):
                case.path_parameters[name] = real[_draw((seed, name, "which"), len(real))]
        body = case.body
        if not isinstance(body, dict):
            return
        if "category_id" in body and _draw((seed, "category"), 2) and self.ids("category_id"):
            body["category_id"] = self.ids("category_id")[0]
        if isinstance(body.get("buyer"), dict) and _draw((seed, "buyer"), 3):
            body["buyer"] = dict(BUYER)
        if isinstance(body.get("lines"), list):
            if not body["lines"] and _draw((seed, "empty"), 2):
                body["lines"].append({})
            for index, line in enumerate(body["lines"]):
                if isinstance(line, dict) and _draw((seed, "line", index), 4):
                    self._aim_line(line, (seed, index))
        if "variant_id" in body and "product_id" in (case.path_parameters or {}):
            variants = list(
                ProductVariant.objects.filter(
                    store=self.store, product_id=case.path_parameters["product_id"]
                ).values_list("pk", flat=True)
            )
            if variants and _draw((seed, "variant"), 2):
                body["variant_id"] = variants[0]

    def widen(self, case) -> None:
        """Set some of a valid case's values to extremes: its `day` (added when the operation takes one)
        to a calendar's end, its integers (query, path, body) to a BIGINT's edges or far beyond."""
        if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
            return
        seed = repr((case.operation.label, case.path_parameters, case.query, case.body))
        if _draw((seed, "widen"), 3):
            return
        if any(parameter.name == "day" for parameter in case.operation.query):
            case.query = {**(case.query or {}), "day": EXTREME_DAYS[_draw((seed, "day"), len(EXTREME_DAYS))]}
        for container in (case.query, case.path_parameters, case.body):
            _widen_integers(container, seed)

    def _aim_line(self, line: dict, seed) -> None:
        products = list(Product.objects.filter(store=self.store, is_active=True).prefetch_related("variants"))
        if not products:
            return
        product = products[_draw((seed, "product"), len(products))]
        variants = list(product.variants.all())
        variant = variants[_draw((seed, "variant"), len(variants))] if variants else None
        line.update(
            product_id=product.pk,
            variant_id=variant.pk if variant else None,
            quantity=1 + _draw((seed, "quantity"), 3),
            seen_price=str((variant or product).price),
        )


def _widen_integers(value, seed) -> None:
    """Replace about half the integers inside `value` (dicts and lists, in place) with huge ones."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in list(items):
        if type(item) is int and _draw((seed, key, item), 2):
            value[key] = HUGE_INTEGERS[_draw((seed, key, "huge"), len(HUGE_INTEGERS))]
        else:
            _widen_integers(item, (seed, key))


def _draw(value, choices: int) -> int:
    """A number in range(choices) that depends only on `value`: Python's hash() differs per process."""
    return zlib.crc32(repr(value).encode()) % choices


@pytest.fixture
def seed(db, store):
    return Seed(store, create_api_token(store=store, name="Schemathesis", scopes=Scope)[1])


@pytest.fixture(autouse=True)
def connections_stay_open():
    """Django's test client keeps the test's transaction open by not closing connections when a
    request ends; requests sent straight to the WSGI handler need the same."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _live_schema():
    # Fetched from the application itself when the tests are collected: no database is needed to
    # serve the schema. (schemathesis' lazy `from_fixture` loader does not work with pytest 9.)
    app = WSGIHandler()
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
        deterministic=True,
        database="none",
        with_security_parameters=False,  # the seeded store's real token is sent instead
    )
    loaded.config.phases.update(phases=["examples", "coverage", "fuzzing"])
    return loaded


@pytest.fixture(scope="module")
def tally():
    """Counts cases per (operation, generation mode) and responses per (operation, status); writes
    the report when the module's tests are done."""
    counts: Counter = Counter()
    started = time.monotonic()
    yield counts
    if counts:
        _report(counts, time.monotonic() - started)


def _report(counts: Counter, elapsed: float) -> None:
    modes = ("positive", "negative")
    operations = sorted({operation for operation, _ in counts})
    total = {mode: sum(counts[(op, mode)] for op in operations) for mode in modes}
    lines = [
        f"schemathesis {schemathesis.__version__}: {sum(total.values())} cases "
        f"({total['positive']} positive, {total['negative']} negative) over {len(operations)} operations "
        f"in {elapsed:.0f} s; max_examples={MAX_EXAMPLES}, deterministic; "
        "phases: examples, coverage, fuzzing",
        "",
    ]
    for operation in operations:
        statuses = sorted((key, n) for (op, key), n in counts.items() if op == operation and key.isdigit())
        cases = f"{counts[(operation, 'positive')]} positive, {counts[(operation, 'negative')]} negative"
        lines.append(f"{operation}: {cases}; " + ", ".join(f"{status}×{n}" for status, n in statuses))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n" + "\n".join(lines))


schema = _live_schema()


@schema.parametrize()
@settings_for_hypothesis
def test_every_operation_survives_valid_and_invalid_data(case, seed, tally):
    seed.refill()
    seed.aim(case)
    seed.widen(case)
    mode = case.meta.generation.mode.value if case.meta else "unknown"
    tally[(case.operation.label, mode)] += 1
    response = case.call_and_validate(headers={"Authorization": f"Bearer {seed.token}"}, checks=CHECKS)
    tally[(case.operation.label, str(response.status_code))] += 1
