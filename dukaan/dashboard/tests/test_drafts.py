"""The "Unfinished checkouts" page: who typed their phone and did not order, with a WhatsApp message
that links back to their cart, and a dismiss button."""

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dukaan.orders.models import CheckoutDraft
from dukaan.orders.services import save_draft

pytestmark = pytest.mark.django_db

# A page of drafts: the session and user, the store, the count and the page of drafts.
DRAFT_LIST_BUDGET = 5


def draft(store, phone: str, name: str = "", *, hours: float = 2, lines=None) -> CheckoutDraft:
    made = save_draft(
        store=store,
        token="",
        phone=phone,
        name=name,
        lines=lines or {"7:0": [2, "250.00", "Steel tiffin"], "8:3": [1, "499.50", "Cotton kurta (M)"]},
    )
    CheckoutDraft.objects.filter(pk=made.pk).update(updated_at=timezone.now() - timedelta(hours=hours))
    return made


def page(client) -> str:
    response = client.get(reverse("dashboard:drafts"))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_page_lists_quiet_drafts_with_phone_items_value_and_a_whatsapp_link(me, store, settings):
    settings.SITE_URL = "https://dukaan.example"
    meera = draft(store, "98123 45699", "Meera Iyer", hours=3)
    draft(store, "98123 45600", "Just now", hours=0.5)

    shown = page(me)

    assert "Meera Iyer" in shown and "+919812345699" in shown and "Just now" not in shown
    assert "2 × Steel tiffin" in shown and "1 × Cotton kurta (M)" in shown
    assert "₹999.50" in shown  # 2 × 250 + 499.50, at the prices the buyer saw
    link = re.search(r'href="(https://wa\.me/[^"]+)"', shown)[1]
    url = urlparse(link)
    assert url.path == "/919812345699"
    text = parse_qs(url.query)["text"][0]
    assert text.startswith(
        f"Hello Meera, this is {store.name}. You left 2 × Steel tiffin, 1 × Cotton kurta (M)"
    )
    assert f"https://dukaan.example/s/{store.slug}/cart/r/{meera.token}/" in text


def test_the_nav_links_the_page_and_an_empty_list_says_what_shows_here(me):
    shown = page(me)

    assert f'href="{reverse("dashboard:drafts")}"' in shown
    assert "No unfinished checkouts." in shown


def test_newest_first_and_another_stores_drafts_never_show(me, store, other_store):
    draft(store, "98123 45601", "Older", hours=5)
    draft(store, "98123 45602", "Newer", hours=2)
    draft(other_store, "98123 45603", "Theirs", hours=2)

    shown = page(me)

    assert shown.index("Newer") < shown.index("Older")
    assert "Theirs" not in shown and "+919812345603" not in shown


def test_dismiss_takes_it_off_the_list(me, store):
    kept = draft(store, "98123 45699", "Meera")

    response = me.post(reverse("dashboard:draft_dismiss", args=[kept.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("dashboard:drafts")
    assert "Meera" not in page(me)
    assert CheckoutDraft.objects.get().dismissed_at is not None


def test_dismissing_another_stores_draft_is_a_404_and_changes_nothing(me, other_store):
    theirs = draft(other_store, "98123 45699", "Theirs")

    assert me.post(reverse("dashboard:draft_dismiss", args=[theirs.pk])).status_code == 404
    assert CheckoutDraft.objects.get().dismissed_at is None


def test_the_list_costs_a_fixed_number_of_queries(me, store, django_assert_max_num_queries):
    for index in range(20):
        draft(store, f"98123 456{index:02d}", f"Buyer {index}")
    # given a warm session
    page(me)

    # when / then
    with django_assert_max_num_queries(DRAFT_LIST_BUDGET):
        assert page(me).count('class="card draft"') == 20


def test_the_page_needs_a_login():
    response = Client().get(reverse("dashboard:drafts"))

    assert response.status_code == 302 and response["Location"].startswith("/login/")
