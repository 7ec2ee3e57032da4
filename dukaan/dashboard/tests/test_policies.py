"""The Policies page: the shopkeeper edits the returns, shipping, privacy and terms texts; an empty box
goes back to the starting text; a text too long or with hidden characters is refused and nothing saved."""

import html

import pytest
from django.urls import reverse

from dukaan.catalog.models import StorePolicies
from dukaan.catalog.policies import KINDS, starting_text
from dukaan.conftest import change_store
from dukaan.events.models import OutboxEvent

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:store_policies")


def shown(client, store, kind: str) -> str:
    return html.unescape(client.get(f"/s/{store.slug}/policies/{kind}/").content.decode())


def boxes(response) -> dict[str, str]:
    """What each box of the form holds, as the shopkeeper sees it."""
    page = response.content.decode()
    return {
        kind: html.unescape(page.split(f'name="{kind}"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0])
        for kind in KINDS
    }


def form(**texts: str) -> dict[str, str]:
    return {kind: texts.get(kind, "") for kind in KINDS}


def test_the_page_shows_each_starting_text_with_the_store_name_in_its_box(me, store):
    response = me.get(URL)

    assert response.status_code == 200
    held = boxes(response)
    assert held["returns"].strip().startswith("You can return an item to Store asha-store within 7 days")
    assert all("Store asha-store" in text for text in held.values())
    assert f'href="/s/{store.slug}/policies/terms/"' in response.content.decode()


def test_saving_a_text_shows_it_to_buyers_and_emits_one_event(me, store):
    events_before = OutboxEvent.objects.count()

    response = me.post(URL, form(returns="Exchanges only, within 3 days.\r\n\r\nNo refunds."))

    assert response.status_code == 302 and response["Location"] == URL
    assert "Exchanges only, within 3 days." in shown(me, store, "returns")
    assert boxes(me.get(URL))["returns"].strip() == "Exchanges only, within 3 days.\n\nNo refunds."
    assert OutboxEvent.objects.count() == events_before + 1
    changes = OutboxEvent.objects.filter(type="store.policies_changed").values_list("payload", flat=True)
    assert [change["data"] for change in changes] == [{"kinds": ["returns"]}]


def test_an_emptied_box_restores_the_starting_text(me, store):
    me.post(URL, form(shipping="We ship on Mondays."))

    me.post(URL, form(shipping=""))

    assert "We ship on Mondays." not in shown(me, store, "shipping")
    assert "delivers to the PIN codes the checkout accepts" in shown(me, store, "shipping")
    assert StorePolicies.objects.get(store=store).shipping == ""


def test_the_starting_text_saved_back_unchanged_keeps_following_the_store_name(me, store):
    sent = {kind: text.replace("\n", "\r\n") for kind, text in boxes(me.get(URL)).items()}
    events_before = OutboxEvent.objects.count()

    me.post(URL, sent)
    change_store(store, name="Asha Handlooms")

    assert OutboxEvent.objects.filter(type="store.policies_changed").count() == 0
    assert OutboxEvent.objects.count() > events_before  # the rename's own event only
    assert "orders placed with Asha Handlooms" in shown(me, store, "terms")
    assert boxes(me.get(URL))["privacy"].strip() == starting_text("privacy", "Asha Handlooms")


def test_a_text_over_10000_characters_is_refused_and_nothing_is_saved(me, store):
    response = me.post(URL, form(returns="Fine.", terms="x" * 10_001))

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "Keep this policy under 10,000 characters (it has 10001)" in page
    assert not StorePolicies.objects.filter(store=store).exists()
    assert "Fine." not in shown(me, store, "returns")
    assert me.post(URL, form(terms="x" * 10_000)).status_code == 302


def test_a_hidden_direction_character_is_refused_and_nothing_is_saved(me, store):
    response = me.post(URL, form(returns="Fine.", privacy="We keep \u202eatad ruoy"))

    assert response.status_code == 200
    assert "Remove the hidden direction character (U+202E)" in html.unescape(response.content.decode())
    assert not StorePolicies.objects.filter(store=store).exists()


def test_a_merchant_edits_only_their_own_store(client, store, other_store):
    client.force_login(other_store.owner)

    client.post(URL, form(returns="Bala's own returns."))

    assert "Bala's own returns." in shown(client, other_store, "returns")
    assert "Bala's own returns." not in shown(client, store, "returns")
    assert not StorePolicies.objects.filter(store=store).exists()


def test_someone_not_logged_in_is_sent_to_log_in_and_nothing_changes(client, store):
    response = client.post(URL, form(returns="Anyone's text."))

    assert response.status_code == 302 and "login" in response["Location"]
    assert not StorePolicies.objects.exists()
