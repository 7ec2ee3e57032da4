"""The staff pages, refusals and store switcher for a merchant who chose Hindi (docs/staff.md)."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from dukaan.accounts.models import AuditEntry, Membership, User
from dukaan.conftest import make_store

pytestmark = pytest.mark.django_db


def in_hindi(user) -> Client:
    user.language = "hi"
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


def text(answer) -> str:
    return html.unescape(answer.content.decode())


def test_the_owner_invites_in_hindi_and_the_audit_log_keeps_the_role_as_its_value(store):
    owner = in_hindi(store.owner)
    page = text(owner.get(reverse("dashboard:staff")))
    assert 'href="/dashboard/store/staff/">स्टाफ़</a>' in page and "<h1>स्टाफ़</h1>" in page
    assert "इनवाइट करें" in page and "मालिक" in page
    assert ">एडमिन</option>" in page and ">मैनेजर</option>" in page and ">स्टाफ़</option>" in page

    refused = owner.post(reverse("dashboard:staff"), {"phone": "+91 98123 45601", "role": "staff"})
    assert refused.status_code == 400 and "यह मालिक का अपना नंबर है" in text(refused)
    assert not Membership.objects.exists()

    owner.post(reverse("dashboard:staff"), {"phone": "98123 00011", "role": "manager"})
    page = text(owner.get(reverse("dashboard:staff")))
    assert "इनवाइट कर दिया।" in page and "रोल बदलें" in page
    # The log is stored once for every reader, whatever language the change was made in.
    entry = AuditEntry.objects.get(field="staff")
    assert (entry.new_value, entry.actor_detail) == ("manager", "owner")


def test_a_staff_member_who_reads_hindi_is_refused_in_hindi(store):
    user = User.objects.create_user("+919812300041")
    Membership.objects.create(store=store, user=user, role="staff")
    answer = in_hindi(user).get(reverse("dashboard:products"))
    page = text(answer)
    assert answer.status_code == 403
    assert "प्रोडक्ट, दाम, स्टॉक, कूपन और ऑफ़र सिर्फ़ मालिक, एडमिन या मैनेजर बदल सकते हैं।" in page
    assert f"{store.name} में आपका रोल: स्टाफ़। कुछ नहीं बदला गया।" in page
    assert "Only the owner" not in page and "Not allowed" not in page


def test_the_store_switcher_in_hindi(store):
    user = User.objects.create_user("+919812300051")
    other = make_store("+919812345602", "bala-store")
    Membership.objects.create(store=store, user=user, role="staff")
    Membership.objects.create(store=other, user=user, role="manager")
    client = in_hindi(user)
    page = text(client.get(reverse("dashboard:stores")))
    assert "आपकी दुकानें" in page and "अभी खुली है" in page and "मैनेजर" in page
    assert 'id="switch-store">दुकानें</a>' in page
    assert f"{other.name} खोलें" in page or f"{store.name} खोलें" in page

    stranger = make_store("+919812345603", "chai-store")
    answer = client.post(reverse("dashboard:stores"), {"store": stranger.pk})
    assert answer.status_code == 400 and "यहाँ दी गई दुकानों में से एक चुनें।" in text(answer)
    client.post(reverse("dashboard:stores"), {"store": other.pk})
    assert f"अब आप {other.name} में काम कर रहे हैं।" in text(client.get(reverse("dashboard:orders")))
