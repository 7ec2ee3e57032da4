"""Delivery over the API: the merchant's settings (GET/PUT /delivery) and a buyer's PIN check."""

from decimal import Decimal
from typing import Any

import pytest

from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import create_api_token
from dukaan.conftest import change_store
from dukaan.shipping.rules import DEFAULT_TERMS
from dukaan.shipping.selectors import delivery_terms

from .conftest import ApiClient, problem

pytestmark = pytest.mark.django_db

SETTINGS: dict[str, Any] = {
    "flat_fee": "80.00",
    "free_above": "999.00",
    "cod_enabled": True,
    "cod_fee": "20.00",
    "cod_max_order": "5000.00",
    "blocked": "700001",
    "zones": [
        {"name": "Koramangala", "pins": "560034", "fee": "20.00"},
        {"name": "Bengaluru", "pins": "560, 561", "fee": "40.00"},
    ],
    "cod_confirm_hours": 0,
    "cod_advance": "0.00",
}


def put(client: ApiClient, body):
    return client._call("put", "/delivery", body)


def test_a_new_store_delivers_free_everywhere_with_cod(api):
    assert api.get("/delivery").json() == {
        "flat_fee": "0.00",
        "free_above": None,
        "cod_enabled": True,
        "cod_fee": "0.00",
        "cod_max_order": None,
        "blocked": "",
        "zones": [],
        "cod_confirm_hours": 0,
        "cod_advance": "0.00",
        "notes": [],
    }


def test_put_replaces_the_settings_and_get_reads_them_back(api):
    response = put(api, SETTINGS)

    assert response.status_code == 200
    assert response.json() == {**SETTINGS, "notes": []}
    assert api.get("/delivery").json() == {**SETTINGS, "notes": []}


def test_numbers_are_amounts_too_and_partly_overlapping_zones_get_a_note(api):
    zones = [
        {"name": "Central", "pins": "560001-560050", "fee": 30},
        {"name": "East", "pins": "560040-560099", "fee": 50.5},
    ]
    body = put(api, {**SETTINGS, "flat_fee": 80, "zones": zones}).json()

    assert [zone["fee"] for zone in body["zones"]] == ["30.00", "50.50"]
    assert body["notes"] == [
        "Zones “Central” and “East” both hold 560040–560050: “Central” comes first, so its fee applies there."
    ]


@pytest.mark.parametrize(
    ("change", "field", "said"),
    [
        ({"flat_fee": "-1"}, "flat_fee", "digits, at most two after the point"),
        ({"flat_fee": -1}, "flat_fee", "The delivery fee cannot be negative."),
        ({"cod_fee": 20.555}, "cod_fee", "at most two digits after the point"),
        ({"cod_max_order": "100000000"}, "cod_max_order", "Check for extra zeros."),
        ({"blocked": "7000x"}, "blocked", "“7000x” is not a PIN code"),
        ({"cod_confirm_hours": 73}, "cod_confirm_hours", "less than or equal to 72"),
        ({"cod_advance": "50"}, "cod_advance", "An advance needs a confirmation time"),
        (
            {"cod_confirm_hours": 24, "cod_advance": "50"},
            "cod_advance",
            "add your UPI ID in the store settings first",
        ),
        (
            {"zones": [SETTINGS["zones"][1], SETTINGS["zones"][0]]},
            "zones[1].pins",
            "Zone “Koramangala” never applies: 560034 is already in zone “Bengaluru”",
        ),
    ],
)
def test_a_bad_value_is_a_422_naming_the_field_and_changes_nothing(api, store, change, field, said):
    body = problem(put(api, {**SETTINGS, **change}), 422)

    assert any(error["field"] == field and said in error["message"] for error in body["errors"]), body
    assert delivery_terms(store.pk) == DEFAULT_TERMS


def test_changing_delivery_needs_the_store_write_scope(store):
    _, token = create_api_token(store=store, name="Reader", scopes=[Scope.CATALOG_READ])
    reader = ApiClient(token)

    assert reader.get("/delivery").status_code == 200
    assert problem(put(reader, SETTINGS), 403)["required_scope"] == "store:write"


def test_a_buyer_asks_what_delivery_to_a_pin_costs(api, anon, store):
    put(api, SETTINGS)
    url = f"/stores/{store.slug}/delivery"

    assert anon.get(url, {"pin": "560038"}).json() == {
        "pin_code": "560038",
        "deliverable": True,
        "fee": "40.00",
        "message": "Delivers to 560038 · ₹40 delivery",
        "cod_allowed": True,
        "cod_fee": "20.00",
        "cod_message": "Cash on delivery · ₹20 fee",
    }
    free = anon.get(url, {"pin": "560034", "order_value": "999"}).json()
    assert (free["fee"], free["message"]) == ("0.00", "Delivers to 560034 · free delivery")
    over = anon.get(url, {"pin": "110001", "order_value": "6000"}).json()
    assert (over["fee"], over["cod_allowed"]) == ("0.00", False)
    assert over["cod_message"].startswith("Cash on delivery is for orders up to ₹5,000")
    blocked = anon.get(url, {"pin": "700001"}).json()
    assert (blocked["deliverable"], blocked["cod_allowed"]) == (False, False)
    assert blocked["message"] == "Sorry, this shop does not deliver to 700001"


@pytest.mark.parametrize("pin", ["96001", "abc", "0600381", ""])
def test_a_bad_pin_is_a_422_saying_what_a_pin_is(anon, store, pin):
    body = problem(anon.get(f"/stores/{store.slug}/delivery", {"pin": pin}), 422)

    assert body["errors"] == [
        {
            "field": "pin",
            "location": "query",
            "message": "A PIN code is 6 digits; the first is 1 to 8, e.g. 560038.",
        }
    ]


def test_an_unknown_store_is_a_404(anon):
    problem(anon.get("/stores/no-such-store/delivery", {"pin": "560038"}), 404)


def test_cod_confirmation_and_an_advance_are_set_over_the_api(api, store):
    change_store(store, upi_id="asha@okaxis")
    cod = {"cod_confirm_hours": 12, "cod_advance": "99.00"}

    assert put(api, {**SETTINGS, **cod}).json() == {**SETTINGS, **cod, "notes": []}
    assert (delivery_terms(store.pk).cod_confirm_hours, delivery_terms(store.pk).cod_advance) == (
        12,
        Decimal("99"),
    )
