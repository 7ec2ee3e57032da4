"""A merchant can never see or change another store's data, whatever id they put in a URL or form."""

from decimal import Decimal

import pytest
from django.urls import reverse

from dukaan.accounts.models import ApiToken, Membership, User
from dukaan.accounts.services import create_api_token
from dukaan.catalog import services
from dukaan.catalog.models import Category, Product
from dukaan.events.models import OutboxEvent
from dukaan.invoices.services import issue_credit_note, issue_invoice
from dukaan.orders.models import Order
from dukaan.orders.services import Buyer, CartLine, change_order_status, place_order, save_draft
from dukaan.payments.services import refund_order
from dukaan.payments.tests.helpers import pay
from dukaan.promotions.tests.helpers import make_coupon, make_offer
from dukaan.shipping.services import block_cod_phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(other_store):
    category = services.create_category(store=other_store, name="Secret category")
    product = services.create_product(
        store=other_store, name="Secret product", price=Decimal("999"), sku="SECRET-1", category=category
    )
    order_buyer = Buyer(
        name="Secret buyer", phone="+919812300000", address="12 Secret Lane, Pune", pin_code="411001"
    )
    order = place_order(
        store=other_store,
        lines=[CartLine(product_id=product.pk, variant_id=None, quantity=1, seen_price=product.price)],
        buyer=order_buyer,
        payment_method="cod",
        idempotency_key="secret-order",
    )
    token, _ = create_api_token(store=other_store, name="Secret token")
    coupon, offer = make_coupon(other_store, code="SECRET"), make_offer(other_store, name="Secret offer")
    draft = save_draft(
        store=other_store, token="", phone="+919812300000", lines={"1:0": [1, "999", "Secret"]}
    )
    cod_block = block_cod_phone(store=other_store, phone="+919812300009")
    helper = User.objects.create_user("+919812300055")
    member = Membership.objects.create(store=other_store, user=helper, role="manager")
    # Another order of theirs was accepted, paid and partly refunded, with a credit note.
    refunded = place_order(
        store=other_store,
        lines=[CartLine(product_id=product.pk, variant_id=None, quantity=1, seen_price=product.price)],
        buyer=order_buyer,
        payment_method="cod",
        idempotency_key="secret-order-2",
    )
    issue_invoice(order=change_order_status(order=pay(refunded), status="accepted"))
    refund = refund_order(store=other_store, order=refunded, amount=Decimal(1), method="cash", by="shop")
    note = issue_credit_note(order=refunded, refund_id=refund.pk, amount=refund.amount, at=refund.at)
    return {
        **{"category": category, "product": product, "order": order, "token": token},
        **{"coupon": coupon, "offer": offer, "draft": draft, "cod_block": cod_block, "credit_note": note},
        "member": member,
    }


OBJECT_URLS = [
    (
        "dashboard:product_edit",
        "product",
        {"name": "Hacked", "price": "1", "variants-TOTAL_FORMS": "0", "variants-INITIAL_FORMS": "0"},
    ),
    ("dashboard:product_visibility", "product", {"show": "0"}),
    ("dashboard:product_delete", "product", {}),
    ("dashboard:category_rename", "category", {"name": "Hacked"}),
    ("dashboard:category_delete", "category", {}),
    ("dashboard:order_detail", "order", {"status": "cancelled"}),
    ("dashboard:order_invoice", "order", {}),
    ("dashboard:order_payment", "order", {"amount": "1", "method": "cash"}),
    ("dashboard:order_refund", "order", {"amount": "1", "method": "cash"}),
    ("dashboard:credit_note", "credit_note", {}),
    ("dashboard:api_token_revoke", "token", {}),
    ("dashboard:product_tax", "product", {"hsn_code": "6109", "rate": "5", "valid_from": "2025-10-01"}),
    ("dashboard:product_tax_clear", "product", {}),
    ("dashboard:category_tax_clear", "category", {}),
    ("dashboard:coupon_edit", "coupon", {"code": "HACKED", "kind": "flat", "value": "1"}),
    ("dashboard:coupon_active", "coupon", {"active": "0"}),
    ("dashboard:offer_edit", "offer", {"name": "Hacked", "kind": "order", "flat": "1"}),
    ("dashboard:offer_active", "offer", {"active": "0"}),
    ("dashboard:draft_dismiss", "draft", {}),
    ("dashboard:order_ship", "order", {"courier": "delhivery", "tracking_number": "1"}),
    ("dashboard:order_cod_block", "order", {"block": "1"}),
    ("dashboard:cod_block_remove", "cod_block", {}),
    ("dashboard:staff_role", "member", {"role": "admin"}),
    ("dashboard:staff_remove", "member", {}),
    ("dashboard:staff_owner", "member", {"confirm": "bala-store"}),
]


def test_every_dashboard_url_with_an_id_is_covered_here():
    from dukaan.dashboard.urls import urlpatterns

    with_ids = {f"dashboard:{p.name}" for p in urlpatterns if "<id:" in str(p.pattern)}
    assert with_ids == {name for name, _, _ in OBJECT_URLS}


@pytest.mark.parametrize("url_name, kind, data", OBJECT_URLS)
def test_another_stores_object_is_a_404_and_stays_unchanged(me, theirs, url_name, kind, data):
    target = theirs[kind]
    events_before = OutboxEvent.objects.count()
    # Orders are addressed by their per-store number; this store has no orders, so #1 is theirs alone.
    args = [target.number] if kind == "order" else [target.pk]
    if kind == "credit_note":  # under its order's number
        args = [target.invoice.order.number, target.pk]
    if kind == "member":  # by the person's user id
        args = [target.user_id]
    url = reverse(url_name, args=args)
    assert me.get(url).status_code in (404, 405)
    assert me.post(url, data).status_code == 404
    assert OutboxEvent.objects.count() == events_before
    fresh = type(target).objects.get(pk=target.pk)
    assert str(fresh) == str(target)
    if isinstance(fresh, Product):
        assert fresh.is_active and fresh.price == Decimal("999")
    if isinstance(fresh, Order):
        assert fresh.status == Order.Status.PLACED and fresh.amount_paid == 0
    if isinstance(fresh, ApiToken):
        assert fresh.is_active
    if isinstance(fresh, Membership):
        assert fresh.role == "manager"


def test_lists_show_only_my_store(me, theirs, product):
    for url in [
        reverse("dashboard:products"),
        reverse("dashboard:bulk_edit"),
        reverse("dashboard:categories"),
    ]:
        html = me.get(url).content.decode()
        assert "Secret" not in html, url
    html = me.get(reverse("dashboard:products"), {"category": theirs["category"].pk}).content.decode()
    assert "Secret" not in html and "No products match" in html
    assert "Secret" not in me.get(reverse("dashboard:products"), {"q": "SECRET-1"}).content.decode()


def test_bulk_edit_ignores_ids_of_another_store(me, theirs, product):
    victim = theirs["product"]
    response = me.post(
        reverse("dashboard:bulk_edit"),
        {
            "product": [product.pk, victim.pk],
            f"price_{product.pk}": "450",
            f"stock_{product.pk}": "3",
            f"price_{victim.pk}": "1",
            f"stock_{victim.pk}": "0",
        },
    )
    assert response.status_code == 302
    victim.refresh_from_db()
    product.refresh_from_db()
    assert victim.price == Decimal("999") and victim.stock is None
    assert product.price == Decimal("450") and product.stock == 3


def test_a_product_cannot_be_filed_under_another_stores_category(me, theirs):
    response = me.post(
        reverse("dashboard:product_create"),
        {
            "name": "Sneaky",
            "price": "10",
            "category": theirs["category"].pk,
            "is_active": "on",
            "variants-TOTAL_FORMS": "0",
            "variants-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Product.objects.filter(name="Sneaky").exists()
    assert Category.objects.get(pk=theirs["category"].pk).products.count() == 1


def test_the_dashboard_needs_a_login(client, theirs):
    for name in ["dashboard:home", "dashboard:products", "dashboard:categories", "dashboard:bulk_edit"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.post(reverse("dashboard:product_delete", args=[theirs["product"].pk]))
    assert response.status_code == 302
    assert Product.objects.filter(pk=theirs["product"].pk).exists()
