"""Store → Staff and the store switcher, as the owner and their staff see them in the dashboard."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from dukaan.accounts.models import AuditEntry, Membership, User
from dukaan.catalog import services
from dukaan.conftest import make_store
from dukaan.orders.models import Order
from dukaan.orders.services import Buyer, CartLine, place_order

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def helper(store, phone: str, role: str) -> Client:
    user = User.objects.create_user(phone)
    Membership.objects.create(store=store, user=user, role=role)
    return logged_in(user)


def an_order(store) -> Order:
    product = services.create_product(store=store, name="Tiffin", price=Decimal("250"), stock=5)
    line = CartLine(product_id=product.pk, variant_id=None, quantity=1, seen_price=product.price)
    buyer = Buyer(name="Meera", phone="+919812345699", address="12 MG Road", pin_code="560038")
    return place_order(store=store, lines=[line], buyer=buyer, payment_method="cod", idempotency_key="k1")


def test_the_owner_invites_staff_who_then_appear_in_the_list(me, store):
    answer = me.post(reverse("dashboard:staff"), {"phone": "98123 00011", "role": "staff"})
    assert answer.status_code == 302
    page = me.get(reverse("dashboard:staff")).content.decode()
    assert "+91 98123 00011" in page and "Change role" in page


@pytest.mark.parametrize(
    "phone, status, words",
    [
        ("+91 98123 45601", 400, "the owner&#x27;s own number"),
        ("not a phone", 400, "valid mobile number"),
    ],
)
def test_a_bad_invite_is_a_4xx_with_its_reason_and_adds_no_one(me, store, phone, status, words):
    answer = me.post(reverse("dashboard:staff"), {"phone": phone, "role": "staff"})
    assert answer.status_code == status and words in answer.content.decode()
    assert not Membership.objects.exists()


def test_inviting_the_same_phone_twice_says_it_is_already_on_the_staff(me, store):
    me.post(reverse("dashboard:staff"), {"phone": "98123 00011", "role": "staff"})
    answer = me.post(reverse("dashboard:staff"), {"phone": "98123 00011", "role": "manager"})
    assert answer.status_code == 400 and "already on the staff" in answer.content.decode()
    assert Membership.objects.get().role == "staff"


def test_a_manager_trying_to_make_someone_admin_gets_a_403_and_nothing_changes(store):
    manager = helper(store, "+919812300021", "manager")
    staff_user = User.objects.create_user("+919812300022")
    Membership.objects.create(store=store, user=staff_user, role="staff")
    answer = manager.post(reverse("dashboard:staff_role", args=[staff_user.pk]), {"role": "admin"})
    assert answer.status_code == 403
    assert "Only the owner or an Admin can manage the store&#x27;s staff." in answer.content.decode()
    assert Membership.objects.get(user=staff_user).role == "staff"


def test_an_admin_trying_to_change_the_owner_gets_a_403(store):
    admin = helper(store, "+919812300031", "admin")
    answer = admin.post(reverse("dashboard:staff_role", args=[store.owner_id]), {"role": "staff"})
    assert answer.status_code == 403 and "owner cannot be removed" in answer.content.decode()


def test_the_owner_cannot_remove_themselves(me, store):
    answer = me.post(reverse("dashboard:staff_remove", args=[store.owner_id]))
    assert answer.status_code == 403 and "only owner" in answer.content.decode()


def test_staff_see_only_orders_and_may_accept_but_not_cancel(store):
    order = an_order(store)
    staff = helper(store, "+919812300041", "staff")
    assert staff.get(reverse("dashboard:home"))["Location"] == reverse("dashboard:orders")
    orders_page = staff.get(reverse("dashboard:orders")).content.decode()
    assert 'href="/dashboard/orders/"' in orders_page and 'href="/dashboard/products/"' not in orders_page
    refused = staff.get(reverse("dashboard:products"))
    assert refused.status_code == 403 and "Only the owner, an Admin or a Manager" in refused.content.decode()

    detail = reverse("dashboard:order_detail", args=[order.number])
    assert staff.post(detail, {"status": "cancelled"}).status_code == 403
    assert Order.objects.get(pk=order.pk).status == Order.Status.PLACED
    assert staff.post(detail, {"status": "accepted"}).status_code == 302
    assert Order.objects.get(pk=order.pk).status == Order.Status.ACCEPTED
    entry = AuditEntry.objects.get(store=store, field="order_status")
    assert (entry.actor, entry.actor_detail, entry.new_value) == ("******0041", "staff", "accepted")


def test_an_admin_may_rename_the_store_but_not_change_its_upi_id(store):
    admin = helper(store, "+919812300051", "admin")
    form = {"name": "Renamed", "slug": store.slug, "whatsapp": store.whatsapp, "currency": "INR"}
    answer = admin.post(reverse("dashboard:store_settings"), {**form, "upi_id": "thief@okaxis"})
    assert answer.status_code == 403 and "payment details" in answer.content.decode()
    store.refresh_from_db()
    assert store.name != "Renamed" and store.upi_id == ""
    assert admin.post(reverse("dashboard:store_settings"), form).status_code == 302
    store.refresh_from_db()
    assert store.name == "Renamed"
    assert admin.get(reverse("dashboard:store_audit")).status_code == 403


def test_one_phone_helps_two_stores_and_switches_between_them(store):
    other = make_store("+919812345602", "bala-store")
    services.create_product(store=other, name="Bala's brass lamp", price=Decimal("900"))
    person = User.objects.create_user("+919812300061")
    Membership.objects.create(store=store, user=person, role="manager")
    Membership.objects.create(store=other, user=person, role="manager")
    client = logged_in(person)
    listing = client.get(reverse("dashboard:stores")).content.decode()
    assert store.name in listing and other.name in listing
    client.post(reverse("dashboard:stores"), {"store": store.pk})
    assert "brass lamp" not in client.get(reverse("dashboard:products")).content.decode()
    assert client.post(reverse("dashboard:stores"), {"store": other.pk}).status_code == 302
    assert "brass lamp" in client.get(reverse("dashboard:products")).content.decode()
    stranger = make_store("+919812345603", "chai-store")
    answer = client.post(reverse("dashboard:stores"), {"store": stranger.pk})
    assert answer.status_code == 400
    assert "brass lamp" in client.get(reverse("dashboard:products")).content.decode()


def test_someone_with_no_store_and_no_membership_is_sent_to_create_a_store(client):
    client.force_login(User.objects.create_user("+919812300071"))
    assert client.get(reverse("dashboard:orders"))["Location"] == reverse("dashboard:store_create")


def test_a_helper_who_opens_their_own_store_works_in_it_next(store):
    manager = helper(store, "+919812300081", "manager")
    form = {"name": "Chai corner", "slug": "chai-corner", "whatsapp": "+919812300081", "currency": "INR"}
    assert manager.post(reverse("dashboard:store_create"), form)["Location"] == reverse("dashboard:home")
    assert "chai-corner" in manager.get(reverse("dashboard:home")).content.decode()
    listing = manager.get(reverse("dashboard:stores")).content.decode()
    assert "Chai corner" in listing and store.name in listing


def test_the_owner_reads_who_changed_prices_and_stock_in_the_audit_log(me, store):
    manager = helper(store, "+919812300091", "manager")
    lamp = services.create_product(store=store, name="Brass lamp", price=Decimal("900"), stock=4)
    form = {
        "name": "Brass lamp",
        "description": "",
        "price": "950",
        "compare_at_price": "",
        "sku": "",
        "stock": "4",
        "category": "",
        "is_active": "on",
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
    }
    assert manager.post(reverse("dashboard:product_edit", args=[lamp.pk]), form).status_code == 302
    bulk = {"product": [lamp.pk], f"price_{lamp.pk}": "950", f"stock_{lamp.pk}": "2"}
    assert manager.post(reverse("dashboard:bulk_edit"), bulk).status_code == 302
    log = me.get(reverse("dashboard:store_audit")).content.decode()
    assert "Price of Brass lamp" in log and "900.00" in log and "950" in log
    assert "Stock of Brass lamp" in log and "******0091 (Manager)" in log
    assert [e.field for e in AuditEntry.objects.filter(store=store).order_by("pk")] == ["price", "stock"]
