"""Offers as store pages show them: their labels, and only while they run."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dukaan.promotions.snapshot import ShownOffer, StoreOffers, offer_label

NOW = datetime(2026, 10, 20, 10, 0, tzinfo=UTC)


def rupees(amount: Decimal) -> str:
    return f"₹{amount:,.0f}"


@pytest.mark.parametrize(
    ("terms", "label"),
    [
        ({"kind": "buy_get", "buy": 2, "get": 1}, "Buy 2, get 1 free"),
        ({"kind": "order", "percent": Decimal("10.00"), "min_order": Decimal("999")}, "10% off above ₹999"),
        ({"kind": "order", "percent": Decimal("12.50")}, "12.5% off every order"),
        ({"kind": "order", "flat": Decimal("100"), "min_order": Decimal("1500")}, "₹100 off above ₹1,500"),
    ],
)
def test_an_offer_is_labelled_as_a_buyer_reads_it(terms, label):
    given = {"percent": None, "flat": None, "min_order": None, "buy": None, "get": None, **terms}
    assert offer_label(**given, money=rupees) == label


def test_pages_show_only_the_offers_running_when_they_render():
    hour = timedelta(hours=1)
    offers = StoreOffers(
        (
            ShownOffer("Sale", "order", "10% off every order", frozenset(), NOW + hour, NOW + 2 * hour),
            ShownOffer("Kurta fest", "buy_get", "Buy 2, get 1 free", frozenset({7}), None, NOW + hour),
            ShownOffer("Later", "buy_get", "Buy 3, get 1 free", frozenset({7}), NOW + 2 * hour, None),
        )
    )

    assert (offers.banners(NOW), offers.badge(7, NOW), offers.badge(8, NOW)) == ([], "Buy 2, get 1 free", "")
    assert [offer.name for offer in offers.banners(NOW + hour)] == ["Sale"]
    assert offers.badge(7, NOW + hour) == ""
    assert offers.badge(7, NOW + 2 * hour) == "Buy 3, get 1 free"
