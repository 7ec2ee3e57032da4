"""The store's policy pages (returns, shipping, privacy, terms): the starting texts with the store's
name, the shopkeeper's own text shown safely, the links to them, and an edit reaching cached pages."""

import html

import pytest
from django.urls import reverse

from dukaan.catalog.services import update_store_policies
from dukaan.conftest import change_store
from dukaan.events.local import run_pending

from .conftest import add_to_cart, page_weight

pytestmark = pytest.mark.django_db

KINDS = ("returns", "shipping", "privacy", "terms")


def policy_url(store, kind: str) -> str:
    return f"/s/{store.slug}/policies/{kind}/"


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_each_policy_page_shows_its_starting_text_with_the_store_name(client, store):
    pages = {kind: client.get(policy_url(store, kind)) for kind in KINDS}

    assert {kind: page.status_code for kind, page in pages.items()} == dict.fromkeys(KINDS, 200)
    assert "<title>Returns and refunds · Store asha-store</title>" in text(pages["returns"])
    assert "within 7 days of delivery if it is unused" in text(pages["returns"])
    assert "refused at the door" in text(pages["returns"])
    assert "the courier and the tracking number" in text(pages["shipping"])
    assert "phone number, delivery address" in text(pages["privacy"])
    assert "Prices include GST where the store shows them so" in text(pages["terms"])
    assert all("Store asha-store" in text(page).split("<h1>", 1)[1] for page in pages.values())
    assert text(pages["returns"]).count("<p>") >= 4  # paragraphs, not one block


def test_the_starting_text_follows_a_renamed_store(client, store):
    change_store(store, name="Asha Handlooms")

    page = text(client.get(policy_url(store, "terms")))

    assert "orders placed with Asha Handlooms" in page and "Store asha-store" not in page


def test_an_unknown_policy_or_store_is_not_found(client, store):
    assert client.get(policy_url(store, "cookies")).status_code == 404
    assert client.get("/s/no-such-store/policies/returns/").status_code == 404


def test_the_shopkeepers_text_is_shown_in_paragraphs_and_a_script_is_shown_not_run(client, store):
    update_store_policies(
        store=store,
        texts={"returns": "No returns on sale items.\n\nWrite to us: <script>alert('hi')</script>"},
    )

    page = client.get(policy_url(store, "returns")).content.decode()

    assert "<p>No returns on sale items.</p>" in page
    assert "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "within 7 days of delivery" not in page
    assert "To deliver your order, Store asha-store keeps" in text(client.get(policy_url(store, "privacy")))


def test_every_store_page_links_the_four_policies_in_its_footer(client, store, simple_product):
    for url in (f"/s/{store.slug}/", f"/s/{store.slug}/p/{simple_product.pk}/", policy_url(store, "terms")):
        footer = client.get(url).content.decode().split("<footer>", 1)[1]
        for kind in KINDS:
            assert f'href="{policy_url(store, kind)}"' in footer, (url, kind)


def test_the_checkout_says_placing_the_order_accepts_the_returns_and_shipping_policies(
    client, store, simple_product
):
    add_to_cart(client, simple_product)
    client.post(reverse("storefront:cart_pin", args=[store.slug]), {"pin_code": "560038", "next": "checkout"})

    page = client.get(reverse("storefront:checkout", args=[store.slug])).content.decode()

    form = page.split('<form method="post"', 1)[1]
    sentence = form.split('id="accept-policies">', 1)[1].split("</p>", 1)[0]
    assert "By placing the order you accept the" in sentence
    assert f'href="{policy_url(store, "returns")}"' in sentence
    assert f'href="{policy_url(store, "shipping")}"' in sentence
    assert form.index("accept-policies") < form.index("Place order")


def test_a_policy_page_is_kept_by_the_edge_under_the_store_tag_and_an_edit_purges_it(
    client, store, monkeypatch
):
    run_pending()
    purged = []
    monkeypatch.setattr(
        "dukaan.storefront.consumers.purge_edge", lambda store_id, product_ids: purged.append(store_id)
    )
    response = client.get(policy_url(store, "shipping"))
    assert "public" in response["Cache-Control"] and "s-maxage" in response["Cache-Control"]
    assert response["xkey"] == f"store-{store.pk}"

    update_store_policies(store=store, texts={"shipping": "We ship every Monday."})
    run_pending()

    assert purged == [store.pk]
    assert "We ship every Monday." in text(client.get(policy_url(store, "shipping")))


def test_a_policy_page_of_the_longest_text_weighs_under_50_kb(client, store):
    update_store_policies(store=store, texts={"privacy": ("Your data stays with us. " * 400)[:10_000]})

    weight = page_weight(client.get(policy_url(store, "privacy")))

    assert weight < 50_000
