"""COD confirmation through the API: a shop confirms for the buyer with the order status endpoint."""

from dataclasses import replace

import pytest

from dukaan.shipping.rules import DEFAULT_SETUP
from dukaan.shipping.services import save_delivery_settings

from .conftest import make_order, problem, simple_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def unconfirmed(store):
    save_delivery_settings(store=store, setup=replace(DEFAULT_SETUP, cod_confirm_hours=24))
    order = make_order(store, simple_product(store))
    assert order.status == "unconfirmed"
    return order


def test_the_shop_confirms_an_order_by_moving_it_to_placed(api, unconfirmed):
    body = api.get(f"/orders/{unconfirmed.pk}").json()
    assert body["status"] == "unconfirmed"

    confirmed = api.post(f"/orders/{unconfirmed.pk}/status", {"status": "placed"})

    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "placed"


def test_an_unconfirmed_order_cannot_be_accepted_yet_and_can_be_cancelled(api, unconfirmed):
    body = problem(api.post(f"/orders/{unconfirmed.pk}/status", {"status": "accepted"}), 409)
    assert "the buyer has not confirmed it" in body["detail"]

    assert (
        api.post(f"/orders/{unconfirmed.pk}/status", {"status": "cancelled"}).json()["status"] == "cancelled"
    )
