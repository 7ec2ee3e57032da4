"""The audit log reads in its reader's language, whoever made the changes and in whichever language
(docs/staff.md#the-audit-log): an English owner reads Hindi-speaking staff's changes in English, a
Hindi owner the same entries in Hindi; only the shop's own data stays as it is."""

import html
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from dukaan.accounts.audit import Actor
from dukaan.accounts.models import AuditEntry, Membership, User
from dukaan.accounts.services import create_api_token
from dukaan.catalog import services
from dukaan.orders.services import Buyer, CartLine, place_order

pytestmark = pytest.mark.django_db

# The data in the entries below, the same in both languages: the product's name, the masked UPI ID
# (…axis) and the payment detail's name.
DATA_WORDS = {"Brass", "lamp", "axis", "UPI", "ID"}


def speaking_hindi(user) -> Client:
    user.language = "hi"
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


def hindi_member(store, phone: str, role: str) -> Client:
    user = User.objects.create_user(phone)
    Membership.objects.create(store=store, user=user, role=role)
    return speaking_hindi(user)


def audit_table(store, language: str) -> str:
    """The text of the audit page's table as the owner reads it in `language`."""
    store.owner.language = language
    store.owner.save(update_fields=["language"])
    client = Client()
    client.force_login(store.owner)
    answer = client.get(reverse("dashboard:store_audit"))
    assert answer.status_code == 200
    body = answer.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.fixture
def changes_by_hindi_speakers(store):
    """An order accepted by a Staff member, a role changed by an Admin, a price and stock changed by a
    Manager, and the UPI ID changed by the owner: everyone reading the dashboard in Hindi."""
    lamp = services.create_product(store=store, name="Brass lamp", price=Decimal("900"), stock=4)
    line = CartLine(product_id=lamp.pk, variant_id=None, quantity=1, seen_price=lamp.price)
    buyer = Buyer(name="Meera", phone="+919812345699", address="12 MG Road", pin_code="560038")
    order = place_order(store=store, lines=[line], buyer=buyer, payment_method="cod", idempotency_key="k1")

    staff = hindi_member(store, "+919812300041", "staff")
    detail = reverse("dashboard:order_detail", args=[order.number])
    assert staff.post(detail, {"status": "accepted"}).status_code == 302

    admin = hindi_member(store, "+919812300051", "admin")
    helper = User.objects.create_user("+919812300052")
    Membership.objects.create(store=store, user=helper, role="staff")
    assert (
        admin.post(reverse("dashboard:staff_role", args=[helper.pk]), {"role": "manager"}).status_code == 302
    )

    manager = hindi_member(store, "+919812300061", "manager")
    bulk = {"product": [lamp.pk], f"price_{lamp.pk}": "950", f"stock_{lamp.pk}": ""}
    assert manager.post(reverse("dashboard:bulk_edit"), bulk).status_code == 302

    owner = speaking_hindi(store.owner)
    form = {"name": store.name, "slug": store.slug, "whatsapp": store.whatsapp, "currency": store.currency}
    assert (
        owner.post(reverse("dashboard:store_settings"), {**form, "upi_id": "asha@okaxis"}).status_code == 302
    )
    return order


def test_an_english_owner_reads_every_entry_in_english(store, changes_by_hindi_speakers):
    table = audit_table(store, "en-in")
    number = changes_by_hindi_speakers.number
    assert f"Order #{number} status Placed Accepted ******0041 (Staff)" in table
    assert "Staff ******0052 Staff Manager ******0051 (Admin)" in table
    assert "Price of Brass lamp 900.00 950 ******0061 (Manager)" in table
    assert "Stock of Brass lamp 3 unlimited ******0061 (Manager)" in table
    assert "UPI ID (none) …axis ******5601 (Owner)" in table
    assert not re.search(r"[\u0900-\u097f]", table), table


def test_a_hindi_owner_reads_the_same_entries_in_hindi(store, changes_by_hindi_speakers):
    table = audit_table(store, "hi")
    number = changes_by_hindi_speakers.number
    assert f"ऑर्डर #{number} का स्टेटस ऑर्डर हुआ मंज़ूर ******0041 (स्टाफ़)" in table
    assert "स्टाफ़ ******0052 स्टाफ़ मैनेजर ******0051 (एडमिन)" in table
    assert "Brass lamp का दाम 900.00 950 ******0061 (मैनेजर)" in table
    assert "Brass lamp का स्टॉक 3 असीमित ******0061 (मैनेजर)" in table
    assert "UPI ID (कुछ नहीं) …axis ******5601 (मालिक)" in table
    assert set(re.findall(r"[A-Za-z]+", table)) <= DATA_WORDS, table


def test_an_api_tokens_change_names_the_token_in_the_readers_words(store):
    token, _raw = create_api_token(store=store, name="stock sync", scopes=["catalog:write"])
    tea = services.create_product(store=store, name="Tea", price=Decimal("90"), stock=5)
    services.adjust_stock(product=tea, set_to=3, changed_by=Actor.token(token))
    assert f"Stock of Tea 5 3 the API token ‘stock sync’ ({token.prefix}…)" in audit_table(store, "en-in")
    assert f"Tea का स्टॉक 5 3 API टोकन ‘stock sync’ ({token.prefix}…)" in audit_table(store, "hi")


def test_an_entry_written_before_actor_kinds_shows_its_actor_as_stored(store):
    AuditEntry.objects.create(store=store, actor="+91 98123 45601 in the dashboard", field="upi_id")
    table = audit_table(store, "hi")
    assert "UPI ID" in table and "+91 98123 45601 in the dashboard" in table
