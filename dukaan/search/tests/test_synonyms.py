"""A store's own synonyms: saved from the dashboard, refused with a reason when wrong, used by search.
And the global Hindi words: as the glossary spells them, in either script."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from dukaan.catalog import services as catalog
from dukaan.events.consumers import Event, get_group
from dukaan.events.local import run_pending
from dukaan.events.models import OutboxEvent
from dukaan.search import service
from dukaan.search.analysis import alternatives, words
from dukaan.search.backend import SearchQuery
from dukaan.search.models import MAX_GROUPS, StoreSynonyms

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:search_synonyms")
GLOSSARY = Path(__file__).resolve().parents[3] / "docs" / "hindi-search-glossary.md"


@pytest.fixture
def angrakha(store):
    """A product whose name no global synonym reaches."""
    product = catalog.create_product(store=store, name="Indigo angrakha", price=Decimal("899"))
    run_pending()
    return product


def found(store, text: str) -> list[int]:
    return [hit.product_id for hit in service.search_products(SearchQuery(store_id=store.pk, text=text)).hits]


def saved(store) -> str:
    return StoreSynonyms.objects.filter(store=store).values_list("text", flat=True).first() or ""


def test_synonyms_saved_in_the_dashboard_are_used_by_the_stores_search(me, store, other_store, angrakha):
    assert found(store, "jama") == []

    response = me.post(URL, {"text": "Angrakha, Jama , chola\n\n  mug,  cup "})

    assert response.status_code == 302
    assert "Synonyms saved" in me.get(URL).content.decode()
    assert saved(store) == "angrakha, jama, chola\nmug, cup"  # tidied: one group a line, lower case
    assert found(store, "jama") == [angrakha.pk]
    assert found(store, "cholas") == [angrakha.pk]  # word forms of a synonym count too
    theirs = catalog.create_product(store=other_store, name="Indigo angrakha", price=Decimal("899"))
    run_pending()
    assert found(other_store, "jama") == []  # another store's words are its own
    assert found(other_store, "angrakha") == [theirs.pk]


def test_saving_emits_one_event_that_purges_the_stores_pages(me, store):
    before = OutboxEvent.objects.count()

    me.post(URL, {"text": "angrakha, jama"})

    event = OutboxEvent.objects.order_by("created_at").last()
    assert OutboxEvent.objects.count() == before + 1
    assert (event.aggregatetype, event.type, event.payload["store_id"]) == (
        "catalog",
        "store.synonyms_changed",
        store.pk,
    )
    # the storefront's cache group drops the store's pages on it
    assert get_group("cache").wants(Event.from_envelope(event.payload, event.aggregatetype))


@pytest.mark.parametrize(
    "text, message",
    [
        ("angrakha, jama\nkurta", "Line 2: &quot;kurta&quot; needs at least two different words"),
        ("t shirt, tee", "Line 1: &quot;t shirt&quot; is more than one word"),
        ("mug, mug, MUG", "needs at least two different words"),
        ("a, b\n" * (MAX_GROUPS + 1), f"at most {MAX_GROUPS} are allowed"),
    ],
)
def test_wrong_synonyms_are_refused_with_the_reason_and_what_was_saved_stays(
    me, store, angrakha, text, message
):
    me.post(URL, {"text": "angrakha, jama"})
    before = OutboxEvent.objects.count()

    response = me.post(URL, {"text": text})

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert text.splitlines()[0] in page  # what they typed stays in the box, to fix
    assert saved(store) == "angrakha, jama"
    assert OutboxEvent.objects.count() == before
    assert found(store, "jama") == [angrakha.pk]


def test_a_merchant_who_chose_hindi_is_told_in_hindi_what_is_wrong_with_the_synonyms(me, store, angrakha):
    type(store.owner).objects.filter(pk=store.owner.pk).update(language="hi")

    page = me.post(URL, {"text": "angrakha, jama\nt shirt, tee"}).content.decode()

    assert "लाइन 2: &quot;t shirt&quot; एक से ज़्यादा शब्द है: हर समानार्थी शब्द एक ही शब्द होता है।" in page
    assert "more than one word" not in page and saved(store) == ""


def test_emptying_the_box_removes_the_stores_synonyms(me, store, angrakha):
    me.post(URL, {"text": "angrakha, jama"})

    me.post(URL, {"text": ""})

    assert saved(store) == ""
    assert found(store, "jama") == []


def test_the_store_settings_page_links_to_the_synonyms(me):
    assert f'href="{URL}"' in me.get(reverse("dashboard:store_settings")).content.decode()


def glossary_rows() -> list[list[str]]:
    """The rows of the glossary's word tables: Devanagari, its Latin spelling, its group, meaning."""
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and any("\u0900" <= char <= "\u097f" for char in cells[0]):
            rows.append(cells)
    return rows


def test_the_glossary_says_how_search_spells_each_hindi_word_and_what_it_finds():
    rows = glossary_rows()
    assert len(rows) >= 100
    for devanagari, latin, group, _meaning in rows:
        assert words(devanagari) == [latin], devanagari
        assert alternatives(latin) == {latin, *group.split(", ")}, devanagari


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("peeli", "yellow"),
        ("pila", "peela"),
        ("kaala", "black"),
        ("kali", "kala"),
        ("chaawal", "rice"),
        ("haldee", "turmeric"),
        ("jhadu", "broom"),
        ("balti", "bucket"),
        ("kadhai", "karhai"),
        ("tava", "tawa"),
        ("belna", "belan"),
    ],
)
def test_hindi_spellings_shoppers_type_find_the_same_products(typed, meant):
    assert meant in alternatives(typed)


def test_devanagari_and_latin_queries_find_products_named_in_either_script(store):
    hindi_saree = catalog.create_product(store=store, name="लाल सूती साड़ी", price=Decimal("1299"))
    rice = catalog.create_product(store=store, name="Basmati Rice 5 kg", price=Decimal("699"))
    run_pending()

    assert found(store, "lal saree") == [hindi_saree.pk]
    assert found(store, "red cotton saree") == [hindi_saree.pk]
    assert found(store, "लाल साड़ी") == [hindi_saree.pk]
    assert found(store, "चावल") == [rice.pk]
    hit = service.search_products(SearchQuery(store_id=store.pk, text="red saree")).hits[0]
    assert hit.highlighted_name == "<mark>लाल</mark> सूती <mark>साड़ी</mark>"
