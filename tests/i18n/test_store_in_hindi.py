"""A store in Hindi, as its buyers see it: every page in Hindi but the shopkeeper's own words, the
buyer's switch to the other language remembered, money in the Indian grouping in both, and no page
in one language kept for a buyer reading the other."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from dukaan.catalog.models import Store
from dukaan.notifications import messages
from dukaan.storefront.service import _page_key
from tests.security.shop import buyer_pages, open_shop, order_through_checkout

from .test_translations import READ_ATTRIBUTES, SAME_IN_EVERY_LANGUAGE

pytestmark = pytest.mark.django_db
# What the shopkeeper and the buyer typed (open_shop, buyer_details), shown as typed in any language.
THEIR_WORDS = {
    "Asha", "Kurtas", "Block", "print", "kurta", "Meera", "Iyer", "Cross", "Indiranagar", "Bengaluru",
    "rd", "asha", "okaxis", "English",  # "English": the switch names each language in itself
}  # fmt: skip


class _Shown(HTMLParser):
    """The words a page shows or reads out: text, read attributes, its title and description."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in ("style", "script"):
            self.skipping += 1
        self.texts += [values[name] or "" for name in READ_ATTRIBUTES if name in values]
        if tag == "meta" and values.get("name") == "description":
            self.texts.append(values.get("content") or "")

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.texts.append(data)


def english_left(html: str, their_words: set[str] = THEIR_WORDS) -> list[str]:
    """Each shown text that still has a Latin word which is neither a name nor what someone typed."""
    shown = _Shown()
    shown.feed(html)
    left = []
    for text in shown.texts:
        rest = text
        for typed in their_words:
            rest = rest.replace(typed, " ")
        if any(word not in SAME_IN_EVERY_LANGUAGE for word in re.findall(r"[A-Za-z]{2,}", rest)):
            left.append(" ".join(text.split()))
    return left


@pytest.fixture
def hindi_shop(client):
    store, category, product = open_shop()
    Store.objects.filter(pk=store.pk).update(language="hi")
    store.refresh_from_db()
    order = order_through_checkout(client, store, product)
    return store, category, product, order


def test_a_store_in_hindi_shows_every_page_in_hindi_but_the_shopkeepers_words(client, hindi_shop):
    store, category, product, order = hindi_shop
    pages = buyer_pages(store, category, product, order)
    client.post(reverse("storefront:cart_add", args=[store.slug]), {"product": product.pk, "quantity": 1})
    client.post(reverse("storefront:cart_pin", args=[store.slug]), {"pin_code": "560038", "next": "cart"})
    for kind in ("returns", "shipping", "privacy", "terms"):
        pages[f"{kind} policy"] = reverse("storefront:policy", args=[store.slug, kind])
    pages["empty search"] = reverse("storefront:search", args=[store.slug]) + "?q=zzzz"
    left = {}
    typed = THEIR_WORDS | {order.pay_reference, "zzzz"}
    for name, path in pages.items():
        response = client.get(path)
        html = response.content.decode()
        assert response.status_code == 200, name
        assert '<html lang="hi">' in html, name
        assert response["Content-Language"] == "hi", name
        left[name] = english_left(html, typed)
    assert left == dict.fromkeys(pages, [])


def test_the_check_finds_english_left_on_a_page():
    assert english_left('<p title="Cart">कार्ट</p><p>Asha Kurtas · ₹40</p><p>Add to cart</p>') == [
        "Cart",
        "Add to cart",
    ]


def test_a_buyer_switches_to_hindi_and_back_and_the_cookie_remembers(client):
    store, _, product = open_shop()
    page = reverse("storefront:product", args=[store.slug, product.pk])
    switch = reverse("storefront:language", args=[store.slug])
    english = client.get(page).content.decode()
    assert '<html lang="en-in">' in english and "Add to cart" in english
    assert f'action="{switch}"' in english and 'value="hi"' in english

    answer = client.post(switch, {"language": "hi", "next": page})

    assert (answer.status_code, answer.url) == (302, page)
    assert answer.cookies["django_language"].value == "hi"
    hindi = client.get(page).content.decode()
    assert '<html lang="hi">' in hindi and "कार्ट में डालें" in hindi and 'value="en-in"' in hindi
    client.post(switch, {"language": "en-in", "next": page})
    assert "Add to cart" in client.get(page).content.decode()


def test_a_bad_language_or_a_foreign_next_changes_nothing(client):
    store, _, _ = open_shop()
    switch = reverse("storefront:language", args=[store.slug])

    refused = client.post(switch, {"language": "fr", "next": f"/s/{store.slug}/"})
    away = client.post(switch, {"language": "hi", "next": "https://evil.example/s/asha-store/"})

    assert refused.status_code == 400 and "Choose one of the languages offered" in refused.content.decode()
    assert "django_language" not in refused.cookies
    assert (away.status_code, away.url) == (302, f"/s/{store.slug}/")


def test_the_buyers_pick_wins_over_the_stores_language(client):
    store, _, product = open_shop()
    Store.objects.filter(pk=store.pk).update(language="hi")
    client.cookies["django_language"] = "en-in"
    page = client.get(reverse("storefront:product", args=[store.slug, product.pk]))
    assert '<html lang="en-in">' in page.content.decode() and "Add to cart" in page.content.decode()


def test_money_is_in_the_indian_grouping_in_both_languages(client):
    store, _, product = open_shop()
    product.price = 150000
    product.save()
    page = reverse("storefront:product", args=[store.slug, product.pk])
    for language in ("en-in", "hi"):
        client.cookies["django_language"] = language
        assert "₹1,50,000" in client.get(page).content.decode()


def test_a_page_kept_by_the_storefront_service_is_kept_per_language():
    def scope(cookie: str) -> dict:
        return {
            "path": "/s/asha-store/",
            "query_string": b"page=2",
            "headers": [(b"cookie", cookie.encode())],
        }

    keys = {
        name: _page_key(scope(cookie))
        for name, cookie in {
            "none": "",
            "other cookies": "_ga=1; csrftoken=abc",
            "hindi": "_ga=1; django_language=hi",
            "english": "django_language=en-in",
            "unknown": "django_language=fr",
        }.items()
    }
    assert keys["none"] == keys["other cookies"] == keys["unknown"]  # the store's own language
    assert len({keys["none"], keys["hindi"], keys["english"]}) == 3


def test_a_message_to_a_buyer_of_a_hindi_store_is_in_hindi_and_names_its_template_language():
    with translation.override("hi"):
        accepted = messages.order_accepted(number=7, store_name="Asha Kurtas", link="https://x.example/o/1/")
    assert accepted.text == "आपका ऑर्डर #7 (Asha Kurtas) मंज़ूर हो गया है। https://x.example/o/1/"
    assert accepted.language == "hi"
    assert messages.templates("hi")["order_accepted"].startswith("आपका ऑर्डर #{{1}} ({{2}})")


def test_the_shopkeeper_sets_the_language_buyers_see_first(client):
    store, _, product = open_shop()
    client.force_login(store.owner)
    settings_page = reverse("dashboard:store_settings")
    fields = {"name": store.name, "slug": store.slug, "whatsapp": store.whatsapp, "currency": "INR"}
    assert 'name="language"' in client.get(settings_page).content.decode()

    refused = client.post(settings_page, {**fields, "upi_id": store.upi_id, "language": "fr"})
    store.refresh_from_db()
    assert refused.status_code == 200 and store.language == "en-in"
    client.post(settings_page, {**fields, "upi_id": store.upi_id, "language": "hi"})

    store.refresh_from_db()
    assert store.language == "hi"
    buyer = Client()
    page = buyer.get(reverse("storefront:product", args=[store.slug, product.pk])).content.decode()
    assert '<html lang="hi">' in page and "कार्ट में डालें" in page
