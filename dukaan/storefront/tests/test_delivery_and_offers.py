"""What a buyer sees of the shop's delivery terms and running offers on its cached pages, and how a
change to them reaches those pages through the `cache` group."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dukaan.catalog.snapshot import store_catalog
from dukaan.events.local import run_pending
from dukaan.promotions.services import offer_input, set_offer_active, update_offer
from dukaan.promotions.tests.helpers import make_coupon, make_offer
from dukaan.shipping.rules import DEFAULT_SETUP, ZoneSetup
from dukaan.shipping.services import save_delivery_settings

from .conftest import make_product

pytestmark = pytest.mark.django_db

FEE_40_FREE_ABOVE_499 = replace(DEFAULT_SETUP, flat_fee=Decimal("40"), free_above=Decimal("499"))


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_store_that_set_nothing_says_delivery_is_free_with_cash_on_delivery(client, store, product):
    note = "Free delivery · Cash on delivery available"

    assert note in page(client, f"/s/{store.slug}/")
    assert note in page(client, f"/s/{store.slug}/p/{product.pk}/")


def test_the_delivery_note_follows_the_settings_once_the_event_is_applied(client, store, product):
    home, product_page = f"/s/{store.slug}/", f"/s/{store.slug}/p/{product.pk}/"
    assert "Free delivery · Cash on delivery available" in page(client, home)

    save_delivery_settings(store=store, setup=replace(FEE_40_FREE_ABOVE_499, cod_enabled=False))
    cached = page(client, home)
    run_pending()

    assert "₹40 delivery" not in cached  # the snapshot is cached until the event is applied
    note = "Free delivery above ₹499 · ₹40 delivery otherwise · No cash on delivery"
    assert note in page(client, home)
    assert note in page(client, product_page)


def test_zones_with_other_fees_show_the_range_and_a_cod_limit_shows(client, store, product):
    zones = (ZoneSetup(name="Near", pins="560034", fee=Decimal("20")),)
    setup = replace(FEE_40_FREE_ABOVE_499, zones=zones, cod_max_order=Decimal("5000"))
    save_delivery_settings(store=store, setup=setup)
    run_pending()

    assert (
        "Free delivery above ₹499 · ₹20 to ₹40 delivery otherwise, by PIN code · "
        "Cash on delivery available up to ₹5,000"
    ) in page(client, f"/s/{store.slug}/")


def test_a_buy_get_offer_badges_its_products_on_every_page_and_an_order_offer_is_a_home_banner(
    client, store, product
):
    other = make_product(store, name="Brass lamp", description="A lamp for kurta evenings")
    make_offer(store, name="Kurta fest", kind="buy_get", buy=2, get=1, product_ids=frozenset({product.pk}))
    make_offer(store, name="Diwali sale")  # 10% off above ₹500
    make_coupon(store, code="SECRET50")
    run_pending()  # the `search` group indexes the products too

    home = page(client, f"/s/{store.slug}/")
    assert "10% off above ₹500 · Diwali sale" in home
    assert home.count("Buy 2, get 1 free") == 1  # on the kurta's card, not the lamp's
    assert "Buy 2, get 1 free" in page(client, f"/s/{store.slug}/p/{product.pk}/")
    assert "Buy 2, get 1 free" not in page(client, f"/s/{store.slug}/p/{other.pk}/")
    assert "Buy 2, get 1 free" in page(client, f"/s/{store.slug}/c/{product.category_id}/")
    assert page(client, f"/s/{store.slug}/search?q=kurta").count("Buy 2, get 1 free") == 1
    assert "Diwali sale" not in page(client, f"/s/{store.slug}/p/{product.pk}/")
    assert not any(
        "SECRET50" in page(client, url) for url in (f"/s/{store.slug}/", f"/s/{store.slug}/search?q=kurta")
    )


def test_editing_or_pausing_an_offer_changes_the_page_once_the_event_is_applied(client, store, product):
    offer = make_offer(store, name="Diwali sale")
    run_pending()
    home = f"/s/{store.slug}/"
    assert "10% off above ₹500" in page(client, home)

    update_offer(offer=offer, data=replace(offer_input(offer), flat=Decimal("100"), percent=None))
    assert "10% off above ₹500" in page(client, home)  # cached until the event is applied
    run_pending()
    assert "₹100 off above ₹500 · Diwali sale" in page(client, home)

    set_offer_active(offer=offer, active=False)
    run_pending()
    assert "Diwali sale" not in page(client, home)


def test_an_offer_shows_only_while_it_runs_though_the_snapshot_was_built_before(store, product):
    now = timezone.now()
    make_offer(store, name="Weekend", starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=3))
    run_pending()

    offers = store_catalog(store.pk).parts["offers"]

    assert [offer.name for offer in offers.banners(now)] == []
    assert [offer.name for offer in offers.banners(now + timedelta(days=2))] == ["Weekend"]
    assert [offer.name for offer in offers.banners(now + timedelta(days=3))] == []
