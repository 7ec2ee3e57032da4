"""The shopkeeper's coupons and offers pages: make, change, pause; errors say why and save nothing."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dukaan.catalog import services as catalog
from dukaan.promotions.models import Coupon, Offer
from dukaan.promotions.services import claim_coupon
from dukaan.promotions.tests.helpers import make_coupon, make_offer

pytestmark = pytest.mark.django_db

COUPON_LIST_BUDGET = 10


def coupon_form(**overrides) -> dict:
    return {
        "code": "save10",
        "kind": "percent",
        "value": "10",
        "min_order": "500",
        "max_uses": "5",
        **overrides,
    }


def test_a_new_coupon_is_listed_with_its_terms_and_uses(me, store):
    response = me.post(reverse("dashboard:coupon_create"), coupon_form())
    assert response.status_code == 302, response.content.decode()
    coupon = Coupon.objects.get(store=store)
    for order_id in (1, 2, 3):
        claim_coupon(
            store_id=store.pk, coupon_id=coupon.pk, phone="98123 00001", first_order=True, order_id=order_id
        )
    page = me.get(reverse("dashboard:coupons")).content.decode()
    assert "SAVE10" in page and "10% off above ₹500" in page and "3 of 5 used" in page


@pytest.mark.parametrize(
    "typed, message",
    [
        ({"value": "150"}, "A percent off is at most 100."),
        ({"code": "SAVE 10"}, "no spaces or emoji"),
        ({"min_order": "-5"}, "digits, at most two after the point"),
        ({"kind": "flat", "value": "1e3"}, "digits, at most two after the point"),
        (
            {"starts_at": "2026-02-01T10:00", "ends_at": "2026-01-01T10:00"},
            "The end must be after the start.",
        ),
    ],
)
def test_a_bad_coupon_shows_the_reason_on_the_form_and_saves_nothing(me, typed, message):
    response = me.post(reverse("dashboard:coupon_create"), coupon_form(**typed))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Coupon.objects.exists()


def test_another_store_s_product_cannot_be_chosen(me, other_store):
    theirs = catalog.create_product(store=other_store, name="Lamp", price=Decimal("250"))
    response = me.post(reverse("dashboard:coupon_create"), coupon_form(product_ids=[str(theirs.pk)]))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Coupon.objects.exists()


def test_a_coupon_is_edited_on_its_chosen_products(me, store, product):
    coupon = make_coupon(store)
    edit = reverse("dashboard:coupon_edit", args=[coupon.pk])
    assert 'value="SAVE10"' in me.get(edit).content.decode()
    response = me.post(edit, coupon_form(code="SAVE15", value="15", product_ids=[str(product.pk)]))
    assert response.status_code == 302
    coupon.refresh_from_db()
    assert coupon.code == "SAVE15" and list(coupon.products.all()) == [product]


def test_pause_and_resume_a_coupon(me, store):
    coupon = make_coupon(store)
    me.post(reverse("dashboard:coupon_active", args=[coupon.pk]), {"active": "0"})
    assert "Paused" in me.get(reverse("dashboard:coupons")).content.decode()
    me.post(reverse("dashboard:coupon_active", args=[coupon.pk]), {"active": "1"})
    coupon.refresh_from_db()
    assert coupon.active


def test_a_buy_get_offer_is_made_on_chosen_products_and_listed(me, store, product):
    form = {"name": "Kurtas 2+1", "kind": "buy_get", "buy": "2", "get": "1", "product_ids": [str(product.pk)]}
    assert me.post(reverse("dashboard:offer_create"), form).status_code == 302
    page = me.get(reverse("dashboard:offers")).content.decode()
    assert "Kurtas 2+1" in page and "Buy 2, get 1 free on 1 product" in page


def test_an_offer_with_neither_percent_nor_amount_is_refused(me):
    response = me.post(reverse("dashboard:offer_create"), {"name": "Big sale", "kind": "order"})
    assert "Give a percent off or an amount off." in response.content.decode()
    assert not Offer.objects.exists()


@pytest.mark.parametrize("url_name", ["dashboard:coupons", "dashboard:offers"])
def test_the_lists_cost_the_same_queries_for_2_and_20_rows(me, store, product, url_name):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert me.get(reverse(url_name)).status_code == 200
        return len(captured)

    for number in range(2):
        make_coupon(store, code=f"C{number}", product_ids=frozenset({product.pk}))
        make_offer(
            store,
            name=f"O{number}",
            kind="buy_get",
            percent=None,
            buy=1,
            get=1,
            product_ids=frozenset({product.pk}),
        )
    few = queries()
    for number in range(2, 20):
        make_coupon(store, code=f"C{number}", product_ids=frozenset({product.pk}))
        make_offer(
            store,
            name=f"O{number}",
            kind="buy_get",
            percent=None,
            buy=1,
            get=1,
            product_ids=frozenset({product.pk}),
        )
    assert queries() == few <= COUPON_LIST_BUDGET


def test_a_merchant_who_chose_hindi_is_told_in_hindi_why_a_coupon_or_offer_is_refused(me, store):
    type(store.owner).objects.filter(pk=store.owner.pk).update(language="hi")
    make_coupon(store, code="SAVE10")
    taken = me.post(reverse("dashboard:coupon_create"), coupon_form(code="save10", max_uses="0"))
    html = taken.content.decode()
    assert "आपके पास कूपन SAVE10 पहले से है; दूसरा कोड चुनें या उसी को बदलें।" in html
    assert "कुल इस्तेमाल की गिनती 1 से 1,000,000 तक रखें" in html
    offer = me.post(reverse("dashboard:offer_create"), {"name": "Big sale", "kind": "order"}).content.decode()
    assert "प्रतिशत छूट या रकम की छूट दें।" in offer and "Give a percent off" not in offer
    assert Coupon.objects.count() == 1 and not Offer.objects.exists()
