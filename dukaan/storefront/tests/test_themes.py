"""Themes on the store's pages: each theme weighs under the page budget with its CSS, the brand colour
and theme reach the page in its one inline stylesheet allowed by the page's own policy, the banner and
announcement bar show (escaped), and a buyer sees a new look as soon as the invalidator ran."""

import re

import pytest
from django.template.loader import render_to_string

from dukaan.catalog import services
from dukaan.catalog.themes import THEMES
from dukaan.conftest import png_upload
from dukaan.events.local import run_pending
from dukaan.infra.security import source_hash

from .conftest import page_weight
from .test_pages import PAGE_WEIGHT_LIMIT, browsing_pages, full_store  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def style(page: str) -> str:
    (css,) = re.findall(r"<style>(.*?)</style>", page, re.S)
    return css


def brand_of(page: str) -> tuple[str, str]:
    """The brand colour and the text colour on it, as the page's stylesheet finally sets them."""
    return re.findall(r":root\{--brand:(#[0-9a-f]{6});--on-brand:(#[0-9a-f]{6})\}", style(page))[-1]


def policy_styles(response) -> str:
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    return policy["style-src"]


@pytest.mark.parametrize("theme", list(THEMES))
def test_every_browsing_page_of_every_theme_weighs_under_50_kb_with_its_css(
    client,
    full_store,  # noqa: F811 (the fixture imported above)
    theme,
    capsys,
):
    store = full_store[0]
    services.update_store_theme(
        store=store, theme=theme, colour="#ffd700", announcement="Diwali sale: 10% off"
    )
    run_pending()

    pages = browsing_pages(full_store)
    weights = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200
        assert render_to_string(f"storefront/themes/{theme}.css") in style(response.content.decode())
        weights[name] = page_weight(response)

    with capsys.disabled():
        print(f"\n{theme} page weights (bytes, HTML + CSS): {weights}")
    assert all(weight < PAGE_WEIGHT_LIMIT for weight in weights.values()), weights


def test_the_stylesheet_carries_the_theme_and_colour_and_the_policy_allows_exactly_it(client, store, product):
    services.update_store_theme(store=store, theme="kirana", colour="#FFD700")
    run_pending()

    response = client.get(f"/s/{store.slug}/")
    page = response.content.decode()

    assert brand_of(page) == ("#ffd700", "#000000")  # gold is light: black text on it
    assert ".grid a{position:relative" in style(page)  # the Kirana list
    assert policy_styles(response) == f"'self' {source_hash(style(page))}"


def test_a_dark_colour_gets_white_text_and_no_row_is_the_classic_theme(client, store, product):
    page = client.get(f"/s/{store.slug}/").content.decode()
    assert brand_of(page) == (THEMES["classic"].colour, "#ffffff")

    services.update_store_theme(store=store, theme="bold", colour="#0b3d91")
    run_pending()
    assert brand_of(client.get(f"/s/{store.slug}/").content.decode()) == ("#0b3d91", "#ffffff")


def test_a_buyer_sees_the_new_theme_once_the_invalidator_ran(client, store, product):
    run_pending()  # the product's own events: only the theme's is left to deliver below
    url = f"/s/{store.slug}/p/{product.pk}/"
    assert brand_of(client.get(url).content.decode())[0] == THEMES["classic"].colour

    services.update_store_theme(store=store, theme="minimal", colour="#8c1d40", announcement="Open on Sunday")
    before_delivery = client.get(url).content.decode()
    run_pending()
    page = client.get(url).content.decode()

    assert brand_of(before_delivery)[0] == THEMES["classic"].colour  # the snapshot is cached until then
    assert brand_of(page)[0] == "#8c1d40" and "Georgia" in style(page)
    assert '<p class="announce">Open on Sunday</p>' in page


def test_the_announcement_is_escaped_and_its_link_shown_on_every_page(client, store, product):
    services.update_store_theme(
        store=store,
        theme="classic",
        announcement="<script>alert(1)</script> Free delivery",
        announcement_link="https://example.com/offer?a=1&b=2",
    )
    run_pending()

    for url in (f"/s/{store.slug}/", f"/s/{store.slug}/cart/", f"/s/{store.slug}/policies/returns/"):
        page = client.get(url).content.decode()
        assert (
            '<p class="announce"><a href="https://example.com/offer?a=1&amp;b=2">'
            "&lt;script&gt;alert(1)&lt;/script&gt; Free delivery</a></p>"
        ) in page
        assert "<script>alert" not in page


def test_the_banner_is_stored_through_the_image_pipeline_and_shown_on_the_home_page(client, store, product):
    look = services.update_store_theme(store=store, theme="bold", banner=png_upload("banner.png", (900, 300)))
    run_pending()

    page = client.get(f"/s/{store.slug}/").content.decode()
    assert look.banner.endswith("-720.webp")
    assert f'<img class="banner" src="/media/{look.banner}" alt="" width="900" height="300">' in page
    assert 'class="banner"' not in client.get(f"/s/{store.slug}/p/{product.pk}/").content.decode()
