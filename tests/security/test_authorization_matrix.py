"""Who may do what: every dashboard URL and every API operation, asked by every kind of visitor.

The roles are real users with real sessions and tokens: an anonymous visitor, a buyer (a session
that placed an order in store A through the storefront; buyers never log in), a logged-in person
without a store, a staff member (is_staff, no store) logged in with both factors (password and SMS
code), a staff member who entered only the SMS code (the merchant login) and one who entered only the
password, and the merchants of store A and store B. Every request is made against store A's objects.
Staff get nothing of a merchant's on the dashboard or the API: to the dashboard they are a person
without a store; their place is /admin/ and /status, which need both factors.

Each case runs in a savepoint that is rolled back, so every role meets the same data. Besides the
answer, each case checks that store A's rows changed only when the role may change them, and that
no one but merchant A sees A's private data (its token, hidden product and buyers' addresses).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from dukaan.accounts.models import Membership, User
from dukaan.accounts.roles import Role
from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import create_api_token
from dukaan.accounts.tests.helpers import code_sent_to, log_in_staff
from dukaan.api.api import api
from dukaan.catalog import services as catalog
from dukaan.catalog.models import Store
from dukaan.conftest import make_store, png_upload
from dukaan.dashboard.urls import urlpatterns as dashboard_urlpatterns
from dukaan.fulfilment.services import ship_order
from dukaan.invoices.services import issue_credit_note, issue_invoice
from dukaan.orders.services import Buyer, CartLine, change_order_status, place_order, save_draft
from dukaan.payments.services import refund_order
from dukaan.payments.tests.helpers import pay
from dukaan.promotions.tests.helpers import make_coupon, make_offer
from dukaan.shipping.services import block_cod_phone
from dukaan.taxes.services import set_tax_rate

pytestmark = pytest.mark.django_db

ANON, BUYER, NEWCOMER, STAFF, A, B = "anonymous", "buyer", "no store", "staff", "merchant A", "merchant B"
STAFF_SMS, STAFF_PASSWORD = "staff, SMS code only", "staff, password only"
# People on store A's staff (docs/staff.md), each logged in with their own phone, each with a token.
ADMIN_A, MANAGER_A, STAFF_A = "Admin of A", "Manager of A", "Staff of A"
MEMBERS = {ADMIN_A: Role.ADMIN, MANAGER_A: Role.MANAGER, STAFF_A: Role.STAFF}
ROLES = (ANON, BUYER, NEWCOMER, STAFF, STAFF_SMS, STAFF_PASSWORD, A, B, ADMIN_A, MANAGER_A, STAFF_A)
# Which of A's members may reach each part of the store, written out here rather than read from the code.
EVERYONE = frozenset(MEMBERS)
HANDLERS = frozenset({ADMIN_A, MANAGER_A})  # catalog, and orders' money: cancelling, payments, refunds
ADMINS = frozenset({ADMIN_A})  # settings, delivery, tax, staff
NOBODY: frozenset[str] = frozenset()  # the owner's alone: payment details and the audit log
# The tokens A's members made: every scope their role may give.
MEMBER_SCOPES = {
    ADMIN_A: list(Scope),
    MANAGER_A: ["catalog:read", "catalog:write", "orders:read", "orders:write"],
    STAFF_A: ["orders:read", "orders:write"],
}
STAFF_PHONES = {STAFF: "+919812345690", STAFF_SMS: "+919812345691", STAFF_PASSWORD: "+919812345692"}
STAFF_PASSWORD_TEXT = "a-long-staff-password"
MEMBER_PHONES = {ADMIN_A: "+919812345681", MANAGER_A: "+919812345682", STAFF_A: "+919812345683"}

LOGIN = "302 /login/"
NEW_STORE = "302 /dashboard/store/new/"
ADMIN_LOGIN = "302 /admin/login/"


@dataclass(frozen=True)
class Row:
    """The answer each role gets, as "status" or "status location-prefix"; who may change A's data;
    for a merchant API operation, the token scope it needs (None: any token of the store)."""

    answers: dict[str, str]
    changes_a: frozenset[str] = field(default_factory=frozenset)
    scope: Scope | None = None


def page(
    a: str,
    b: str,
    *,
    newcomer: str = NEW_STORE,
    writes: bool = False,
    who: frozenset[str] = NOBODY,
    members: dict[str, str] | None = None,
) -> Row:
    """A dashboard URL: anyone not logged in is sent to log in; someone without a store to make one. A's
    members in `who` get A's answer (and change A's data as A does), the others a 403."""
    answers = {
        **{ANON: LOGIN, BUYER: LOGIN, NEWCOMER: newcomer, STAFF: newcomer, A: a, B: b},
        # Logged in by SMS code, as merchants are; the password alone logs no one in.
        **{STAFF_SMS: newcomer, STAFF_PASSWORD: LOGIN},
        **{member: a if member in who else "403" for member in MEMBERS},
        **(members or {}),
    }
    return Row(answers, frozenset({A} | who) if writes else frozenset())


# A `require_POST` dashboard URL: GET is refused first, for everyone.
POST_ONLY = Row(dict.fromkeys(ROLES, "405"))


# Whose tokens reach an operation that names only its scope.
SCOPE_WHO = {
    None: EVERYONE,
    Scope.CATALOG_READ: HANDLERS,
    Scope.CATALOG_WRITE: HANDLERS,
    Scope.ORDERS_READ: EVERYONE,
    Scope.ORDERS_WRITE: EVERYONE,
    Scope.STORE_WRITE: ADMINS,
}


def merchant(
    a: str, b: str, scope: Scope | None, *, writes: bool = False, who: frozenset[str] | None = None
) -> Row:
    """A merchant API operation: without a token (sessions are not API credentials) it is a 401; with a
    token that lacks `scope`, a 403. The merchants' tokens here have every scope; a member's token has
    what their role may give, and only those in `who` (default: by the scope) get A's answer, the
    others a 403."""
    who = SCOPE_WHO[scope] if who is None else who
    answers = {
        **dict.fromkeys(ROLES, "401"),
        A: a,
        B: b,
        **{member: a if member in who else "403" for member in MEMBERS},
    }
    return Row(answers, frozenset({A} | who) if writes else frozenset(), scope)


def public(answer: str, *, writes: bool = False) -> Row:
    """A public URL or a store's public API operation: everyone gets the same answer."""
    return Row(dict.fromkeys(ROLES, answer), frozenset(ROLES) if writes else frozenset())


def store_page(
    name: str, post: str = "200", *, writes: bool = False, who: frozenset[str]
) -> dict[tuple[str, str], Row]:
    """A dashboard URL about the merchant's own store: A and B each get their own, alike."""
    return {
        (name, "GET"): page("200", "200", who=who),
        (name, "POST"): page(post, post, writes=writes, who=who),
    }


def object_page(name: str, post: str, *, who: frozenset[str]) -> dict[tuple[str, str], Row]:
    """A dashboard page of one of A's objects: B gets a 404 for it; POST changes it."""
    return {
        (name, "GET"): page("200", "404", who=who),
        (name, "POST"): page(post, "404", writes=True, who=who),
    }


def object_action(name: str, post: str, *, who: frozenset[str]) -> dict[tuple[str, str], Row]:
    """A `require_POST` action on one of A's objects."""
    return {(name, "GET"): POST_ONLY, (name, "POST"): page(post, "404", writes=True, who=who)}


def app_file(name: str) -> dict[tuple[str, str], Row]:
    """A file of the dashboard as an app (docs/pwa.md): anyone may GET it, it holds no one's data."""
    return {(name, "GET"): public("200"), (name, "POST"): public("405")}


# Store A's objects fill the ids in these URLs; merchant B asking for them must get a 404.
DASHBOARD = {
    # Staff's role reaches no catalog, so their home is the orders list.
    **store_page("home", who=EVERYONE),
    ("home", "GET"): page("200", "200", who=HANDLERS, members={STAFF_A: "302 /dashboard/orders/"}),
    ("home", "POST"): page("200", "200", who=HANDLERS, members={STAFF_A: "302 /dashboard/orders/"}),
    **app_file("manifest"),
    **app_file("service_worker"),
    **app_file("offline"),
    # A's members own no store: they may open one of their own (which leaves A's data alone).
    ("store_create", "GET"): page(
        "302 /dashboard/", "302 /dashboard/", newcomer="200", members=dict.fromkeys(MEMBERS, "200")
    ),
    ("store_create", "POST"): page(
        "302 /dashboard/",
        "302 /dashboard/",
        newcomer="302 /dashboard/",
        members=dict.fromkeys(MEMBERS, "302 /dashboard/"),
    ),
    # The body changes the WhatsApp number, a payment detail: the owner's alone, so the Admin gets a 403.
    ("store_settings", "GET"): page("200", "200", who=ADMINS),
    ("store_settings", "POST"): page("302 /dashboard/store/", "302 /dashboard/store/", writes=True),
    **store_page("store_audit", who=NOBODY),
    **store_page("staff", "302 /dashboard/store/staff/", writes=True, who=ADMINS),
    # The Staff member of A: an Admin may make them a Manager, or remove them; B has no such member.
    **object_action("staff_role", "302 /dashboard/store/staff/", who=ADMINS),
    **object_action("staff_remove", "302 /dashboard/store/staff/", who=ADMINS),
    # Handing A to its Admin: the owner's alone (the Admin is refused too); B has no such Admin.
    **object_page("staff_owner", "302 /dashboard/store/staff/", who=NOBODY),
    # The switcher: asking for A opens A for its owner and members; B may not open A.
    ("stores", "GET"): page("200", "200", who=EVERYONE),
    ("stores", "POST"): page("302 /dashboard/", "400", who=EVERYONE),
    **store_page("search_synonyms", "302 /dashboard/store/synonyms/", writes=True, who=HANDLERS),
    **store_page("store_policies", "302 /dashboard/store/policies/", writes=True, who=ADMINS),
    **store_page("store_theme", "302 /dashboard/store/theme/", writes=True, who=ADMINS),
    # Each merchant previews their own store (B sees B's, never A's); a GET-only page, framed by the above.
    ("store_theme_preview", "GET"): page("200", "200", who=ADMINS),
    ("store_theme_preview", "POST"): Row(dict.fromkeys(ROLES, "405")),
    **store_page("store_domain", "302 /dashboard/store/domain/", writes=True, who=ADMINS),
    # Neither store has a domain to verify or remove: each is told so (and nothing changes).
    ("store_domain_verify", "GET"): POST_ONLY,
    ("store_domain_verify", "POST"): page("400", "400", who=ADMINS),
    ("store_domain_remove", "GET"): POST_ONLY,
    ("store_domain_remove", "POST"): page("400", "400", who=ADMINS),
    **store_page("products", who=HANDLERS),
    **store_page("product_create", "302 /dashboard/products/", writes=True, who=HANDLERS),
    **store_page("bulk_edit", "302 /dashboard/products/", writes=True, who=HANDLERS),
    **object_page("product_edit", "302 /dashboard/products/", who=HANDLERS),
    **object_action("product_visibility", "302 /dashboard/products/", who=HANDLERS),
    **object_page("product_delete", "302 /dashboard/products/", who=HANDLERS),
    **store_page("orders", who=EVERYONE),
    **store_page("drafts", who=HANDLERS),
    **object_action("draft_dismiss", "302 /dashboard/checkouts/", who=HANDLERS),
    # Accepting an order is fulfilment: Staff may.
    **object_page("order_detail", "302 /dashboard/orders/", who=EVERYONE),
    # A's invoice is already issued, so a download (GET or POST alike) changes nothing.
    ("order_invoice", "GET"): page("200", "404", who=EVERYONE),
    ("order_invoice", "POST"): page("200", "404", who=EVERYONE),
    # Its statement pays none of A's orders (all cash on delivery): B's upload must not either.
    **store_page("match_upi_payments", who=HANDLERS),
    **object_action("order_payment", "302 /dashboard/orders/", who=HANDLERS),
    **object_action("order_refund", "302 /dashboard/orders/", who=HANDLERS),
    ("credit_note", "GET"): page("200", "404", who=HANDLERS),
    ("credit_note", "POST"): page("200", "404", who=HANDLERS),
    # Every member may make a token, within their role: Staff asking for catalog:read get a 403. Only the
    # owner and Admins see (and may revoke) the tokens others made.
    ("api_tokens", "GET"): page("200", "200", who=EVERYONE),
    ("api_tokens", "POST"): page("200", "200", writes=True, who=HANDLERS, members={STAFF_A: "403"}),
    **object_action("api_token_revoke", "302 /dashboard/tokens/", who=ADMINS),
    ("api_token_revoke", "POST"): page(
        "302 /dashboard/tokens/", "404", writes=True, who=ADMINS, members={MANAGER_A: "404", STAFF_A: "404"}
    ),
    **store_page("categories", "302 /dashboard/categories/", writes=True, who=HANDLERS),
    **object_action("category_rename", "302 /dashboard/categories/", who=HANDLERS),
    **object_action("category_delete", "302 /dashboard/categories/", who=HANDLERS),
    **store_page("tax_settings", "302 /dashboard/tax/", writes=True, who=ADMINS),
    **store_page("delivery", "302 /dashboard/delivery/", writes=True, who=ADMINS),
    # B's form refuses A's category as not one of B's choices.
    ("category_tax", "GET"): POST_ONLY,
    ("category_tax", "POST"): page("302 /dashboard/tax/", "200", writes=True, who=ADMINS),
    **object_action("category_tax_clear", "302 /dashboard/tax/", who=ADMINS),
    **object_action("product_tax", "302 /dashboard/products/", who=ADMINS),
    **object_action("product_tax_clear", "302 /dashboard/products/", who=ADMINS),
    **store_page("coupons", who=HANDLERS),
    **store_page("coupon_create", "302 /dashboard/coupons/", writes=True, who=HANDLERS),
    **object_page("coupon_edit", "302 /dashboard/coupons/", who=HANDLERS),
    **object_action("coupon_active", "302 /dashboard/coupons/", who=HANDLERS),
    **store_page("offers", who=HANDLERS),
    **store_page("offer_create", "302 /dashboard/offers/", writes=True, who=HANDLERS),
    **object_page("offer_edit", "302 /dashboard/offers/", who=HANDLERS),
    **object_action("offer_active", "302 /dashboard/offers/", who=HANDLERS),
    **object_action("order_ship", "302 /dashboard/orders/", who=EVERYONE),
    **object_action("order_cod_block", "302 /dashboard/orders/", who=ADMINS),
    ("cod_block_add", "GET"): POST_ONLY,
    ("cod_block_add", "POST"): page(
        "302 /dashboard/delivery/", "302 /dashboard/delivery/", writes=True, who=ADMINS
    ),
    **object_action("cod_block_remove", "302 /dashboard/delivery/", who=ADMINS),
}

CATALOG_R, CATALOG_W = Scope.CATALOG_READ, Scope.CATALOG_WRITE
ORDERS_R, ORDERS_W, STORE_W = Scope.ORDERS_READ, Scope.ORDERS_WRITE, Scope.STORE_WRITE

# Keyed as in the OpenAPI document, without the /api/v1 prefix.
API = {
    ("GET", "/me"): merchant("200", "200", None),
    ("GET", "/store"): merchant("200", "200", None),
    ("PATCH", "/store"): merchant("200", "200", STORE_W, writes=True),
    ("GET", "/categories"): merchant("200", "200", CATALOG_R),
    ("POST", "/categories"): merchant("201", "201", CATALOG_W, writes=True),
    ("GET", "/categories/{category_id}"): merchant("200", "404", CATALOG_R),
    ("PATCH", "/categories/{category_id}"): merchant("200", "404", CATALOG_W, writes=True),
    ("DELETE", "/categories/{category_id}"): merchant("204", "404", CATALOG_W, writes=True),
    ("GET", "/coupons"): merchant("200", "200", CATALOG_R),
    ("POST", "/coupons"): merchant("201", "201", CATALOG_W, writes=True),
    ("GET", "/coupons/{coupon_id}"): merchant("200", "404", CATALOG_R),
    ("PATCH", "/coupons/{coupon_id}"): merchant("200", "404", CATALOG_W, writes=True),
    ("POST", "/coupons/{coupon_id}/pause"): merchant("200", "404", CATALOG_W, writes=True),
    ("POST", "/coupons/{coupon_id}/resume"): merchant("200", "404", CATALOG_W),  # A's is running already
    ("GET", "/offers"): merchant("200", "200", CATALOG_R),
    ("POST", "/offers"): merchant("201", "201", CATALOG_W, writes=True),
    ("GET", "/offers/{offer_id}"): merchant("200", "404", CATALOG_R),
    ("PATCH", "/offers/{offer_id}"): merchant("200", "404", CATALOG_W, writes=True),
    ("POST", "/offers/{offer_id}/pause"): merchant("200", "404", CATALOG_W, writes=True),
    ("POST", "/offers/{offer_id}/resume"): merchant("200", "404", CATALOG_W),
    ("GET", "/products"): merchant("200", "200", CATALOG_R),
    ("POST", "/products"): merchant("201", "201", CATALOG_W, writes=True),
    ("GET", "/products/{product_id}"): merchant("200", "404", CATALOG_R),
    ("PATCH", "/products/{product_id}"): merchant("200", "404", CATALOG_W, writes=True),
    ("DELETE", "/products/{product_id}"): merchant("204", "404", CATALOG_W, writes=True),
    ("POST", "/products/{product_id}/images"): merchant("201", "404", CATALOG_W, writes=True),
    ("DELETE", "/products/{product_id}/images/{image_id}"): merchant("204", "404", CATALOG_W, writes=True),
    ("POST", "/products/{product_id}/stock"): merchant("200", "404", CATALOG_W, writes=True),
    ("GET", "/orders"): merchant("200", "200", ORDERS_R),
    ("GET", "/orders/{order_id}"): merchant("200", "404", ORDERS_R),
    ("POST", "/orders/{order_id}/status"): merchant("200", "404", ORDERS_W, writes=True),
    ("GET", "/delivery"): merchant("200", "200", None),
    ("PUT", "/delivery"): merchant("200", "200", STORE_W, writes=True),
    ("GET", "/stores/{slug}/delivery"): public("200"),
    ("GET", "/tax"): merchant("200", "200", None),
    ("PUT", "/tax"): merchant("200", "200", STORE_W, writes=True),
    ("GET", "/tax/rates"): merchant("200", "200", None),
    ("PUT", "/products/{product_id}/tax"): merchant("200", "404", STORE_W, writes=True),
    ("DELETE", "/products/{product_id}/tax"): merchant("204", "404", STORE_W, writes=True),
    ("PUT", "/categories/{category_id}/tax"): merchant("200", "404", STORE_W, writes=True),
    ("DELETE", "/categories/{category_id}/tax"): merchant("204", "404", STORE_W, writes=True),
    ("GET", "/orders/{order_id}/invoice"): merchant("200", "404", ORDERS_R),
    ("GET", "/checkouts/unfinished"): merchant("200", "200", ORDERS_R, who=HANDLERS),
    ("GET", "/orders/{order_id}/invoice.pdf"): merchant("200", "404", ORDERS_R),
    ("POST", "/payments/statement"): merchant("200", "200", ORDERS_W, who=HANDLERS),
    ("POST", "/orders/{order_id}/shipment"): merchant("201", "404", ORDERS_W, writes=True),
    ("GET", "/orders/{order_id}/shipment"): merchant("200", "404", ORDERS_R),
    ("GET", "/couriers"): merchant("200", "200", None),
    ("GET", "/cod-blocked-phones"): merchant("200", "200", ORDERS_R, who=ADMINS),
    ("POST", "/cod-blocked-phones"): merchant("201", "201", STORE_W, writes=True),
    ("DELETE", "/cod-blocked-phones/{block_id}"): merchant("204", "404", STORE_W, writes=True),
    ("GET", "/orders/{order_id}/payments"): merchant("200", "404", ORDERS_R, who=HANDLERS),
    ("POST", "/orders/{order_id}/payments"): merchant("201", "404", ORDERS_W, writes=True, who=HANDLERS),
    ("GET", "/orders/{order_id}/refunds"): merchant("200", "404", ORDERS_R, who=HANDLERS),
    ("POST", "/orders/{order_id}/refunds"): merchant("201", "404", ORDERS_W, writes=True, who=HANDLERS),
    ("GET", "/stores/{slug}"): public("200"),
    ("GET", "/stores/{slug}/products"): public("200"),
    ("GET", "/stores/{slug}/products/{product_id}"): public("200"),
    ("GET", "/stores/{slug}/search"): public("200"),
    ("POST", "/stores/{slug}/cart/quote"): public("200"),
    ("POST", "/stores/{slug}/orders"): public("201", writes=True),
    ("GET", "/stores/{slug}/orders/{token}"): public("200"),
    # A's order is paid on delivery, and no gateway is set up: nothing to start, for anyone.
    ("POST", "/stores/{slug}/orders/{token}/online-payment"): public("409"),
}

# Staff's own pages. /status is the lead's staff status page (dukaan/infra/status.py). Staff with one
# factor are sent to the admin's login page, which asks for the other.
SITE = {
    ("/admin/", "GET"): Row({**dict.fromkeys(ROLES, ADMIN_LOGIN), STAFF: "200"}),
    ("/status", "GET"): Row(
        {
            **dict.fromkeys(ROLES, "403"),
            **dict.fromkeys((ANON, BUYER, STAFF_SMS, STAFF_PASSWORD), ADMIN_LOGIN),
            STAFF: "200",
        }
    ),
}


# --- The world: two stores with everything in them, and one client per role -----------------------

# Where store A's buyers live: only merchant A may ever see it.
BUYER_ADDRESS = "12, 3rd Cross, Indiranagar, Bengaluru"


def _order(store, product, key: str, address: str):
    line = CartLine(product_id=product.pk, variant_id=None, quantity=1, seen_price=product.price)
    buyer = Buyer(name="Meera Iyer", phone="+919812345699", address=address, pin_code="560038")
    return place_order(store=store, lines=[line], buyer=buyer, payment_method="cod", idempotency_key=key)


def _fill(store, tag: str) -> dict:
    category = catalog.create_category(store=store, name=f"{tag} kurtas")
    product = catalog.create_product(
        store=store,
        name=f"{tag} kurta",
        price=Decimal("499.00"),
        stock=10,
        category=category,
        variants=[catalog.VariantInput(options={"Size": "M"}, price=Decimal("499.00"), stock=5)],
        new_images=[png_upload()],
    )
    simple = catalog.create_product(store=store, name=f"{tag} tiffin", price=Decimal("250.00"), stock=5)
    hidden = catalog.create_product(
        store=store, name=f"{tag} secret draft", price=Decimal("1"), is_active=False
    )
    token, raw_token = create_api_token(store=store, name="POS", scopes=Scope)
    # GST rates, so that clearing them changes something.
    for owner in ({"product": product}, {"category": category}):
        set_tax_rate(store=store, hsn_code="6211", rate=Decimal("5"), valid_from=date(2025, 9, 22), **owner)
    return {
        "store": store,
        "category": category,
        "product": product,
        "variant": product.variants.get(),
        "image": product.images.get(),
        "simple": simple,
        "hidden": hidden,
        "token": token,
        "raw_token": raw_token,
        "coupon": make_coupon(store, code=f"{tag}10"),
        "offer": make_offer(store, name=f"{tag} offer"),
        "cod_block": block_cod_phone(store=store, phone="+919812300088"),
    }


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(settings):
    settings.API_RATE_LIMIT_PER_TOKEN = 0
    settings.API_RATE_LIMIT_PER_IP = 0
    # Every role places an order in store A with one phone from one address: more than an hour allows.
    settings.ORDER_MAX_PER_PHONE_PER_STORE_PER_HOUR = settings.ORDER_MAX_PER_ADDRESS_PER_HOUR = 0
    settings.PAYMENT_GATEWAY = ""
    cache.clear()
    a = _fill(make_store("+919812345601", "asha-store"), "Asha")
    b = _fill(make_store("+919812345602", "bala-store"), "Bala")

    # The buyer's order is A's #1, placed through the storefront, so the session is a real buyer's.
    buyer = Client()
    slug = a["store"].slug
    buyer.post(reverse("storefront:cart_add", args=[slug]), {"product": a["simple"].pk, "quantity": 1})
    placed = buyer.post(
        reverse("storefront:checkout", args=[slug]),
        {
            "name": "Meera Iyer",
            "phone": "98123 45699",
            "address": BUYER_ADDRESS,
            "pin_code": "560038",
            "payment_method": "cod",
            "idempotency_key": "0123456789abcdef0123456789abcdef",
        },
    )
    assert placed.status_code == 302 and "/o/" in placed["Location"], placed.content[:500]
    # A's #2 is an order number B does not have (B's only order is #1), so B's 404 is about the store.
    a["order"] = _order(a["store"], a["simple"], "a-2", BUYER_ADDRESS)
    assert a["order"].number == 2
    b["order"] = _order(b["store"], b["simple"], "b-1", "7 Park Street, Kolkata")
    # A's #3 is accepted and has its invoice: the invoice downloads are about it.
    a["accepted"] = _order(a["store"], a["simple"], "a-3", BUYER_ADDRESS)
    change_order_status(order=a["accepted"], status="accepted")
    issue_invoice(order=a["accepted"])
    a["draft"] = save_draft(
        store=a["store"], token="", phone="+919812345698", lines={"1:0": [1, "250", "Tiffin"]}
    )
    # A's #4 is shipped with a courier: reading a shipment is about it.
    a["shipped"] = change_order_status(
        order=_order(a["store"], a["simple"], "a-4", BUYER_ADDRESS), status="accepted"
    )
    ship_order(store=a["store"], order=a["shipped"], courier="delhivery", tracking_number="1", by="shop")
    # It was paid, and part refunded with a credit note: refunds and the credit note's download are about it.
    pay(a["accepted"])
    refund = refund_order(store=a["store"], order=a["accepted"], amount=Decimal(1), method="cash", by="shop")
    a["credit_note"] = issue_credit_note(
        order=a["accepted"], refund_id=refund.pk, amount=refund.amount, at=refund.at
    )

    for phone in STAFF_PHONES.values():
        User.objects.create_user(phone, password=STAFF_PASSWORD_TEXT, is_staff=True)
    staff, sms_only, password_only = Client(), Client(), Client()
    log_in_staff(staff, STAFF_PHONES[STAFF], STAFF_PASSWORD_TEXT)
    sms_only.post(reverse("accounts:login"), {"phone": STAFF_PHONES[STAFF_SMS]})
    sms_only.post(reverse("accounts:verify"), {"code": code_sent_to(STAFF_PHONES[STAFF_SMS])})
    assert "_auth_user_id" in sms_only.session
    password_only.post(
        reverse("admin:login"), {"phone": STAFF_PHONES[STAFF_PASSWORD], "password": STAFF_PASSWORD_TEXT}
    )
    assert "accounts_password_for" in password_only.session
    clients = {
        ANON: Client(),
        BUYER: buyer,
        NEWCOMER: _logged_in(User.objects.create_user("+919812345677")),
        STAFF: staff,
        STAFF_SMS: sms_only,
        STAFF_PASSWORD: password_only,
        A: _logged_in(a["store"].owner),
        B: _logged_in(b["store"].owner),
    }
    tokens = {A: a["raw_token"], B: b["raw_token"]}
    for name, role in MEMBERS.items():
        person = User.objects.create_user(MEMBER_PHONES[name])
        Membership.objects.create(store=a["store"], user=person, role=role, invited_by=a["store"].owner)
        clients[name] = _logged_in(person)
        tokens[name] = create_api_token(
            store=a["store"], name=f"{name}'s POS", scopes=MEMBER_SCOPES[name], created_by=person, role=role
        )[1]
    a["staff_member"] = User.objects.get(phone=MEMBER_PHONES[STAFF_A])
    a["admin_member"] = User.objects.get(phone=MEMBER_PHONES[ADMIN_A])
    # A token's first use stamps last_used_at; do it now so reads by A leave A's rows as they are.
    for raw in tokens.values():
        assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    yield {"a": a, "b": b, "clients": clients, "tokens": tokens}
    cache.clear()


# --- Requests --------------------------------------------------------------------------------------


def _product_form(name: str) -> dict:
    return {
        "name": name,
        "description": "",
        "price": "10",
        "compare_at_price": "",
        "sku": "",
        "stock": "3",
        "category": "",
        "is_active": "on",
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
    }


STATEMENT = {"text": "05-12-2026 UPI/CR/623456789012/RAVI KUMAR/gift 250.00 Cr\n"}

# A rate for a date the world has none for, so that setting it changes A's rows.
TAX_RATE = {"hsn_code": "6109", "rate": "18", "valid_from": "2025-10-01"}


def _dashboard_request(name: str, method: str, a: dict) -> tuple[str, dict]:
    """The URL for A's objects and a body that would change A's data if its owner sent it."""
    ids = {
        "product_edit": a["product"].pk,
        "product_visibility": a["product"].pk,
        "product_delete": a["product"].pk,
        "order_detail": a["order"].number,
        "order_invoice": a["accepted"].number,
        "order_payment": a["order"].number,
        "order_refund": a["accepted"].number,
        "credit_note": (a["accepted"].number, a["credit_note"].pk),
        "api_token_revoke": a["token"].pk,
        "category_rename": a["category"].pk,
        "category_delete": a["category"].pk,
        "category_tax_clear": a["category"].pk,
        "product_tax": a["product"].pk,
        "product_tax_clear": a["product"].pk,
        "coupon_edit": a["coupon"].pk,
        "coupon_active": a["coupon"].pk,
        "offer_edit": a["offer"].pk,
        "offer_active": a["offer"].pk,
        "draft_dismiss": a["draft"].pk,
        "order_ship": a["accepted"].number,
        "order_cod_block": a["order"].number,
        "cod_block_remove": a["cod_block"].pk,
        "staff_role": a["staff_member"].pk,
        "staff_remove": a["staff_member"].pk,
        "staff_owner": a["admin_member"].pk,
    }
    args = ids.get(name, ())
    url = reverse(f"dashboard:{name}", args=args if isinstance(args, tuple) else [args])
    simple = a["simple"].pk
    bodies = {
        "store_create": {
            "name": "New shop",
            "slug": "new-shop",
            "whatsapp": "+919812345677",
            "currency": "INR",
        },
        "store_settings": {
            "name": "Renamed",
            "slug": "renamed-store",
            "whatsapp": "+919812345688",
            "currency": "INR",
        },
        "search_synonyms": {"text": "kurti, kurta, tunic"},
        "store_policies": {"returns": "No returns.", "shipping": "", "privacy": "", "terms": ""},
        "store_theme": {
            "theme": "bold",
            "colour": "#0b3d91",
            "announcement": "Sale",
            "announcement_link": "",
        },
        "store_domain": {"domain": "shop.asha.in"},
        "product_create": _product_form("Created"),
        "bulk_edit": {"product": [simple], f"price_{simple}": "1", f"stock_{simple}": "0"},
        "product_edit": _product_form("Hacked"),
        "product_visibility": {"show": "0"},
        "order_detail": {"status": "accepted"},
        "order_payment": {"amount": "1", "method": "cash"},
        "order_refund": {"amount": "1", "method": "cash"},
        "api_tokens": {"name": "New token", "scopes": ["catalog:read"]},
        "category_rename": {"name": "Renamed"},
        "categories": {"name": "New category"},
        "tax_settings": {"gstin": "", "state_code": "29", "prices_include_tax": "on"},
        "delivery": {
            "flat_fee": "40",
            "cod_enabled": "on",
            "zones-TOTAL_FORMS": "0",
            "zones-INITIAL_FORMS": "0",
        },
        "category_tax": {"category": a["category"].pk, **TAX_RATE},
        "product_tax": TAX_RATE,
        "coupon_create": {"code": "NEW10", "kind": "percent", "value": "10"},
        "coupon_edit": {"code": "HACKED", "kind": "flat", "value": "1"},
        "coupon_active": {"active": "0"},
        "offer_create": {"name": "New offer", "kind": "order", "flat": "50"},
        "offer_edit": {"name": "Hacked", "kind": "order", "flat": "1"},
        "offer_active": {"active": "0"},
        "match_upi_payments": STATEMENT,
        "order_ship": {"courier": "delhivery", "tracking_number": "123"},
        "order_cod_block": {"block": "1"},
        "cod_block_add": {"phone": "98123 00077"},
        "staff": {"phone": "98123 00066", "role": "staff"},
        "staff_role": {"role": "manager"},
        "staff_owner": {"confirm": a["store"].slug},
        "stores": {"store": a["store"].pk},
    }
    return url, bodies.get(name, {})


def _order_for(method: str, path: str, a: dict):
    """The invoice is A's accepted order's; it is shipped with a courier, and its shipment read from #4."""
    if path.endswith("/shipment"):
        return a["shipped"] if method == "GET" else a["accepted"]
    return a["accepted"] if "/invoice" in path or "/refunds" in path else a["order"]


def _api_request(client: Client, method: str, path: str, a: dict, token: str | None):
    values = {
        "slug": a["store"].slug,
        "category_id": a["category"].pk,
        "product_id": a["product"].pk,
        "image_id": a["image"].pk,
        "order_id": _order_for(method, path, a).pk,
        "block_id": a["cod_block"].pk,
        "token": a["order"].public_token,
        "coupon_id": a["coupon"].pk,
        "offer_id": a["offer"].pk,
    }
    url = "/api/v1" + re.sub(r"\{(\w+)\}", lambda m: str(values[m[1]]), path)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == "GET":
        query = {"/search": {"q": "kurta"}, "/delivery": {"pin": "560038"}}
        return client.get(
            url, next((q for end, q in query.items() if path.endswith(end)), {}), headers=headers
        )
    if method == "DELETE":
        return client.delete(url, headers=headers)
    if path.endswith("/images"):
        return client.post(url, {"images": [png_upload()]}, headers=headers)
    line = {"product_id": a["simple"].pk, "quantity": 1, "seen_price": "250.00"}
    bodies = {
        "/store": {"name": "Renamed"},
        "/categories": {"name": "New category"},
        "/categories/{category_id}": {"name": "Renamed"},
        "/products": {"name": "Created", "price": "10"},
        "/products/{product_id}": {"name": "Hacked"},
        "/products/{product_id}/stock": {"stock": 0, "variant_id": a["variant"].pk},
        "/orders/{order_id}/status": {"status": "accepted"},
        "/orders/{order_id}/shipment": {"courier": "delhivery", "tracking_number": "123"},
        "/cod-blocked-phones": {"phone": "98123 00077"},
        "/orders/{order_id}/payments": {"amount": "1", "method": "cash"},
        "/stores/{slug}/orders/{token}/online-payment": {},
        "/orders/{order_id}/refunds": {"amount": "1", "method": "cash"},
        "/delivery": {
            "flat_fee": "40",
            "free_above": None,
            "cod_enabled": True,
            "cod_fee": "0",
            "cod_max_order": None,
        },
        "/tax": {"gstin": "", "state_code": "29"},
        "/products/{product_id}/tax": TAX_RATE,
        "/categories/{category_id}/tax": TAX_RATE,
        "/coupons": {"code": "NEW10", "kind": "percent", "value": "10"},
        "/coupons/{coupon_id}": {"value": "15"},
        "/offers": {"name": "New offer", "kind": "order", "flat": "50"},
        "/offers/{offer_id}": {"name": "Hacked"},
        "/coupons/{coupon_id}/pause": {},
        "/coupons/{coupon_id}/resume": {},
        "/offers/{offer_id}/pause": {},
        "/offers/{offer_id}/resume": {},
        "/payments/statement": STATEMENT,
        "/stores/{slug}/cart/quote": {"lines": [line]},
        "/stores/{slug}/orders": {
            "lines": [line],
            "buyer": {
                "name": "Ravi",
                "phone": "98123 00001",
                "address": "14 MG Road, Bengaluru",
                "pin_code": "560038",
            },
            "payment_method": "cod",
        },
    }
    headers["Idempotency-Key"] = "matrix-key"
    call = {"PATCH": client.patch, "PUT": client.put}.get(method, client.post)
    return call(url, bodies[path], content_type="application/json", headers=headers)


# --- Checks ----------------------------------------------------------------------------------------


@functools.cache
def _store_relations() -> list[tuple[type, str]]:
    """(model, lookup to the store's id) for every model whose rows belong to one store."""
    direct = {
        model: f.name for model in apps.get_models() for f in model._meta.fields if f.related_model is Store
    }
    relations = list(direct.items())
    for model in apps.get_models():
        for f in model._meta.fields:
            if f.related_model in direct and model not in direct:
                relations.append((model, f"{f.name}__{direct[f.related_model]}"))
    return relations


def _store_rows(store_id: int) -> list:
    """Every row that belongs to the store: its own, and those of the models pointing at them. A token's
    last_used_at is left out: A's own token, used again a minute after the setup stamped it, stamps it
    anew (on a slow machine the matrix takes longer than that); it is a record of use, not A's data."""
    rows = [list(Store.objects.filter(pk=store_id).values())]
    for model, lookup in _store_relations():
        values = model.objects.filter(**{lookup: store_id}).order_by("pk").values()
        rows.append([{k: v for k, v in row.items() if k != "last_used_at"} for row in values])
    return rows


def _answer(response) -> str:
    if response.status_code in (301, 302, 303):
        return f"{response.status_code} {response['Location']}"
    return str(response.status_code)


def _matches(got: str, expected: str) -> bool:
    status, _, location = expected.partition(" ")
    got_status, _, got_location = got.partition(" ")
    return got_status == status and got_location.startswith(location)


def _private_markers(a: dict) -> list[str]:
    return [a["raw_token"], a["token"].prefix, a["hidden"].name, BUYER_ADDRESS]


def _check(problems: list, what: str, method: str, role: str, row: Row, response, before, a) -> None:
    got = _answer(response)
    expected = row.answers[role]
    if not _matches(got, expected):
        problems.append((what, method, role, expected, got))
    changed = _store_rows(a["store"].pk) != before
    if changed and role not in row.changes_a:
        problems.append((what, method, role, "A's data unchanged", "A's data CHANGED"))
    if not changed and role in row.changes_a and role == A:
        problems.append((what, method, role, "A's data changed", "nothing changed (body not accepted?)"))
    if role != A:
        body = response.content.decode(errors="replace")
        markers = _private_markers(a)
        if role in MEMBERS and not expected.startswith("403"):
            # A member sees A's data their role reaches; never the owner's raw token, and only an Admin
            # the tokens others made.
            markers = [a["raw_token"]] + ([] if role == ADMIN_A else [a["token"].prefix])
        leaked = [marker for marker in markers if marker in body]
        if leaked:
            problems.append((what, method, role, "none of A's private data", f"shows {leaked}"))


def _table(problems: list) -> str:
    header = ("endpoint", "method", "role", "expected", "got")
    widths = [max(len(str(r[i])) for r in [header, *problems]) for i in range(5)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *problems]]
    return f"{len(problems)} authorization mismatch(es):\n" + "\n".join(lines)


def _send(client: Client, kind: str, key: str, method: str, a: dict, token: str | None):
    if kind == "api":
        return _api_request(client, method, key, a, token)
    if kind == "dashboard":
        url, body = _dashboard_request(key, method, a)
        return client.post(url, body) if method == "POST" else client.get(url)
    return client.get(key)


# --- The test --------------------------------------------------------------------------------------


def test_every_role_gets_exactly_the_allowed_answer_on_every_url_and_operation(world):
    routes = {(p.name, m) for p in dashboard_urlpatterns for m in ("GET", "POST")}
    operations = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, item in api.get_openapi_schema()["paths"].items()
        for method in item
    }
    uncovered = sorted(routes - DASHBOARD.keys()) + sorted(operations - API.keys())
    stale = sorted(DASHBOARD.keys() - routes) + sorted(API.keys() - operations)
    assert not uncovered, f"Add a row to the authorization matrix for each of: {uncovered}"
    assert not stale, f"These matrix rows name no URL or operation any more: {stale}"

    a, clients, tokens = world["a"], world["clients"], world["tokens"]
    problems: list = []
    cases = [
        *[(f"dashboard:{name}", method, row, "dashboard", name) for (name, method), row in DASHBOARD.items()],
        *[(f"/api/v1{path}", method, row, "api", path) for (method, path), row in API.items()],
        *[(path, method, row, "site", path) for (path, method), row in SITE.items()],
    ]
    for what, method, row, kind, key in cases:
        for role in ROLES:
            before = _store_rows(a["store"].pk)
            # A savepoint per request, rolled back after the checks, so every case meets the same data.
            with transaction.atomic():
                response = _send(clients[role], kind, key, method, a, tokens.get(role))
                _check(problems, what, method, role, row, response, before, a)
                transaction.set_rollback(True)
    assert not problems, _table(problems)


def test_every_merchant_operation_needs_the_scope_it_declares_and_refuses_a_token_without_it(world):
    """Walks the live OpenAPI document: each secured operation's security requirement names exactly the
    scope in the matrix; a token of A with every scope but that one gets a 403 naming it and changes
    nothing, and a token with only that scope gets the merchant's answer."""
    a = world["a"]
    secured = {
        (method.upper(), path.removeprefix("/api/v1")): operation["security"]
        for path, item in api.get_openapi_schema()["paths"].items()
        for method, operation in item.items()
        if operation.get("security")
    }
    assert secured.keys() == {key for key, row in API.items() if row.answers[ANON] == "401"}
    declared = {
        key: [scope for requirement in security for scope in requirement.get("TokenAuth", [])]
        for key, security in secured.items()
    }
    wrong = {
        key: (found, API[key].scope)
        for key, found in declared.items()
        if found != ([str(API[key].scope)] if API[key].scope else [])
    }
    assert not wrong, f"OpenAPI scope differs from the matrix (found, expected): {wrong}"

    # Every token is made and used once up front, so a case's own request is all that changes A's rows.
    without, only = {}, {}
    for scope in Scope:
        without[scope] = create_api_token(
            store=a["store"], name=f"no {scope}", scopes=[s for s in Scope if s != scope]
        )[1]
        only[scope] = create_api_token(store=a["store"], name=f"only {scope}", scopes=[scope])[1]
    for raw in [*without.values(), *only.values()]:
        assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200

    problems: list = []
    for (method, path), row in API.items():
        if (method, path) not in secured:
            continue
        for what, token, expected in (
            ("token without it", without.get(row.scope), "403"),
            ("token with only it", only.get(row.scope) or only[Scope.ORDERS_READ], row.answers[A]),
        ):
            if token is None:
                continue  # any token may: there is no token without "no scope"
            before = _store_rows(a["store"].pk)
            with transaction.atomic():
                response = _api_request(Client(), method, path, a, token)
                got = _answer(response)
                changed = _store_rows(a["store"].pk) != before
                if not _matches(got, expected):
                    problems.append((path, method, what, expected, got))
                elif expected == "403":
                    body = response.json()
                    if body.get("required_scope") != str(row.scope) or str(row.scope) not in body["detail"]:
                        problems.append((path, method, what, f"403 naming {row.scope}", body))
                    if changed:
                        problems.append((path, method, what, "A's data unchanged", "A's data CHANGED"))
                transaction.set_rollback(True)
    assert not problems, _table(problems)
