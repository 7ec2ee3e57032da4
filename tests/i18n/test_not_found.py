"""The 404 page says why a link leads nowhere, where the view knows, in the reader's language; Django's
own English page ("The requested resource was not found") and its model-naming messages never show."""

import pytest
from django.urls import reverse

from dukaan.catalog.models import Store
from tests.security.shop import open_shop

from .test_store_in_hindi import english_left

pytestmark = pytest.mark.django_db


def test_a_product_not_in_the_store_says_so_in_english_and_in_a_hindi_stores_hindi(client):
    store, _, product = open_shop()
    missing = reverse("storefront:product", args=[store.slug, product.pk + 1000])

    english = client.get(missing)
    Store.objects.filter(pk=store.pk).update(language="hi")
    hindi = client.get(missing)

    assert english.status_code == hindi.status_code == 404
    assert "This product is not in the store." in english.content.decode()
    assert "यह प्रोडक्ट इस दुकान में नहीं है।" in hindi.content.decode()
    assert '<html lang="hi">' in hindi.content.decode() and english_left(hindi.content.decode()) == []


def test_a_wrong_order_link_tells_the_buyer_where_the_right_one_is(client):
    store, _, _ = open_shop()
    answer = client.get(reverse("storefront:order", args=[store.slug, "not-a-real-token"]))
    assert answer.status_code == 404
    assert "Check the link in your message from the store." in answer.content.decode()


def test_an_address_nothing_answers_gets_the_general_words_in_the_readers_language(client):
    english = client.get("/no-such-page/")
    hindi = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="hi")
    assert english.status_code == hindi.status_code == 404
    assert "This link leads to no page." in english.content.decode()
    assert "requested resource" not in english.content.decode()
    assert "यह लिंक किसी पेज पर नहीं ले जाता।" in hindi.content.decode()


def test_a_404_from_get_object_or_404_never_shows_its_model_naming_message(client):
    store, _, _ = open_shop()
    answer = client.get(reverse("storefront:cart", args=["no-such-store"]))
    assert answer.status_code == 404
    assert "matches the given query" not in answer.content.decode()
    assert "This link leads to no page." in answer.content.decode()
