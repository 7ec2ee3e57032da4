"""Store → Staff and the store switcher, as the owner and their staff see them in the dashboard."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from dukaan.accounts.models import AuditEntry, Membership, User
from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import create_api_token
from dukaan.catalog import services
from dukaan.catalog.models import Store
from dukaan.conftest import make_store
from dukaan.events.local import run_pending
from dukaan.events.models import ConsumerOffset
from dukaan.infra.sms import latest_console_message
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


def texts_to(settings, phone: str) -> list[str]:
    log = settings.SMS_CONSOLE_LOG
    lines = log.read_text().splitlines() if log.exists() else []
    return [line for line in lines if f" to={phone} " in line]


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


# --- The invitee is told ---------------------------------------------------------------------------

LOGIN_LINK = "/login/"


def test_an_invited_phone_is_texted_once_in_english_after_the_invite_commits(me, store, settings):
    me.post(reverse("dashboard:staff"), {"phone": "98123 00011", "role": "manager"})
    assert latest_console_message("+919812300011") is None  # not before the notifier reads the event
    run_pending()
    assert latest_console_message("+919812300011") == (
        f"Store asha-store has added you as Manager on Dukaan. Log in with this phone at "
        f"{settings.SITE_URL}{LOGIN_LINK}"
    )
    ConsumerOffset.objects.filter(group="notifier").update(position=0)  # redelivered
    run_pending()
    assert len(texts_to(settings, "+919812300011")) == 1


def test_a_hindi_store_texts_its_invitee_in_hindi(me, store, settings):
    Store.objects.filter(pk=store.pk).update(language="hi")
    me.post(reverse("dashboard:staff"), {"phone": "98123 00011", "role": "admin"})
    run_pending()
    assert latest_console_message("+919812300011") == (
        f"Store asha-store ने आपको Dukaan पर एडमिन बनाया है। इसी फ़ोन से लॉग इन करें: "
        f"{settings.SITE_URL}{LOGIN_LINK}"
    )


def test_a_refused_invite_or_a_role_change_texts_no_one(me, store, settings):
    me.post(reverse("dashboard:staff"), {"phone": "98123 00011", "role": "staff"})
    run_pending()
    again = me.post(reverse("dashboard:staff"), {"phone": "98123 00011", "role": "manager"})
    assert again.status_code == 400
    manager = helper(store, "+919812300012", "manager")
    refused = manager.post(reverse("dashboard:staff"), {"phone": "98123 00013", "role": "staff"})
    assert refused.status_code == 403
    invited = User.objects.get(phone="+919812300011")
    me.post(reverse("dashboard:staff_role", args=[invited.pk]), {"role": "manager"})
    run_pending()
    assert len(texts_to(settings, "+919812300011")) == 1
    assert not texts_to(settings, "+919812300013")


# --- Handing the store over ------------------------------------------------------------------------


def test_the_owner_hands_the_store_to_an_admin_who_then_owns_it(me, store, settings):
    old_owner = store.owner
    admin = helper(store, "+919812300071", "admin")
    new_owner = User.objects.get(phone="+919812300071")
    _token, raw = create_api_token(store=store, name="POS", scopes=list(Scope), created_by=old_owner)
    staff_page = me.get(reverse("dashboard:staff")).content.decode()
    make_owner = reverse("dashboard:staff_owner", args=[new_owner.pk])
    assert f'href="{make_owner}"' in staff_page
    confirm = me.get(make_owner)
    assert confirm.status_code == 200 and "<code>asha-store</code>" in confirm.content.decode()

    answer = me.post(make_owner, {"confirm": " Asha-Store "})

    assert answer.status_code == 302 and answer["Location"] == reverse("dashboard:staff")
    store.refresh_from_db()
    assert store.owner == new_owner
    assert not Membership.objects.filter(store=store, user=new_owner).exists()
    assert Membership.objects.get(store=store, user=old_owner).role == "admin"
    entry = AuditEntry.objects.get(store=store, field="owner")
    assert (entry.old_value, entry.new_value) == ("******5601", "******0071")
    assert (entry.actor_kind, entry.actor, entry.actor_detail) == ("member", "******5601", "owner")
    run_pending()
    assert latest_console_message("+919812300071") == (
        "You are now the owner of Store asha-store on Dukaan. Check its UPI ID in Store settings: "
        "buyers pay there."
    )
    assert latest_console_message(old_owner.phone) == (
        "You handed Store asha-store over to ******0071 on Dukaan. You stay on its staff as Admin."
    )
    # The new owner reaches the owner's pages; the old one is an Admin now.
    assert admin.get(reverse("dashboard:store_audit")).status_code == 200
    assert me.get(reverse("dashboard:store_audit")).status_code == 403
    form = {"name": store.name, "slug": store.slug, "whatsapp": store.whatsapp, "currency": "INR"}
    assert me.post(reverse("dashboard:store_settings"), {**form, "upi_id": "old@okaxis"}).status_code == 403
    assert (
        admin.post(reverse("dashboard:store_settings"), {**form, "upi_id": "new@okaxis"}).status_code == 302
    )
    staff_page = me.get(reverse("dashboard:staff")).content.decode()
    assert "Make owner" not in staff_page and "+91 98123 45601" in staff_page
    # The old owner's token keeps working, as an Admin's: no payment details.
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    patch = {"content_type": "application/json"}
    assert api.patch("/api/v1/store", {"upi_id": "thief@okaxis"}, **patch).status_code == 403
    assert api.patch("/api/v1/store", {"name": "Asha's Kurtas"}, **patch).status_code == 200
    store.refresh_from_db()
    assert store.upi_id == "new@okaxis" and store.name == "Asha's Kurtas"


def _nothing_changed(store, owner, settings) -> None:
    store.refresh_from_db()
    assert store.owner == owner
    assert not AuditEntry.objects.filter(store=store, field="owner").exists()
    assert not Membership.objects.filter(store=store, user=owner).exists()
    run_pending()
    assert not texts_to(settings, owner.phone)


def test_only_the_owner_may_hand_the_store_over(store, settings):
    admin = helper(store, "+919812300071", "admin")
    other_admin = helper(store, "+919812300072", "admin")
    for person, target in ((admin, "+919812300071"), (other_admin, "+919812300071")):
        url = reverse("dashboard:staff_owner", args=[User.objects.get(phone=target).pk])
        for answer in (person.get(url), person.post(url, {"confirm": store.slug})):
            assert answer.status_code == 403
            assert "Only the store&#x27;s owner can hand it over" in answer.content.decode()
    manager = helper(store, "+919812300073", "manager")
    url = reverse("dashboard:staff_owner", args=[User.objects.get(phone="+919812300071").pk])
    assert manager.post(url, {"confirm": store.slug}).status_code == 403
    _nothing_changed(store, store.owner, settings)


@pytest.mark.parametrize(
    "role, confirm, status, words",
    [
        ("manager", "asha-store", 400, "Only an Admin can become the owner"),
        ("admin", "asha", 400, "That is not the store&#x27;s link: type it as shown to confirm."),
        ("admin", "", 400, "That is not the store&#x27;s link"),
        (None, "asha-store", 404, "not on the staff of this store"),
    ],
)
def test_a_hand_over_to_a_non_admin_or_unconfirmed_is_refused_and_changes_nothing(
    me, store, settings, role, confirm, words, status
):
    target = User.objects.create_user("+919812300071")
    if role:
        Membership.objects.create(store=store, user=target, role=role)
    answer = me.post(reverse("dashboard:staff_owner", args=[target.pk]), {"confirm": confirm})
    assert answer.status_code == status and words in answer.content.decode()
    _nothing_changed(store, store.owner, settings)
    assert list(Membership.objects.filter(store=store).values_list("role", flat=True)) == (
        [role] if role else []
    )


def test_an_admin_who_owns_another_store_cannot_be_handed_this_one(me, store, settings):
    other = make_store("+919812345602", "bala-store")
    Membership.objects.create(store=store, user=other.owner, role="admin")
    answer = me.post(reverse("dashboard:staff_owner", args=[other.owner_id]), {"confirm": store.slug})
    assert answer.status_code == 400 and "owns a store of its own already" in answer.content.decode()
    _nothing_changed(store, store.owner, settings)
