"""The Delivery page: a shopkeeper sets fees, zones, blocked PINs and COD in one form, and tries a PIN."""

from decimal import Decimal

import pytest
from django.urls import reverse

from dukaan.conftest import change_store
from dukaan.shipping.models import DeliveryZone
from dukaan.shipping.rules import DEFAULT_SETUP, DEFAULT_TERMS
from dukaan.shipping.selectors import delivery_setup, delivery_terms

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:delivery")


def zones_form(*zones: tuple[str, str, str, str], delete: tuple[int, ...] = ()) -> dict:
    """The zones' rows: (position, name, pins, fee); `delete` ticks Remove on those rows."""
    data = {"zones-TOTAL_FORMS": str(len(zones)), "zones-INITIAL_FORMS": "0"}
    for index, (position, name, pins, fee) in enumerate(zones):
        data |= {
            f"zones-{index}-ORDER": position,
            f"zones-{index}-name": name,
            f"zones-{index}-pins": pins,
            f"zones-{index}-fee": fee,
        }
        if index in delete:
            data[f"zones-{index}-DELETE"] = "on"
    return data


def settings_form(*zones, delete=(), **fields) -> dict:
    return {
        "flat_fee": "60",
        "free_above": "999",
        "blocked": "700001",
        "cod_enabled": "on",
        "cod_fee": "20",
        "cod_max_order": "",
        **zones_form(*zones, delete=delete),
        **fields,
    }


def test_a_new_store_sees_free_delivery_and_cod_on(me):
    page = me.get(URL).content.decode()
    assert 'name="cod_enabled" id="id_cod_enabled" checked' in page
    assert 'name="zones-TOTAL_FORMS" value="2"' in page  # two empty rows to add zones


def test_the_nav_links_to_the_page(me):
    assert f'href="{URL}"' in me.get(reverse("dashboard:home")).content.decode()


def test_saving_fees_zones_and_cod(me, store):
    response = me.post(
        URL, settings_form(("1", "Bengaluru", "560, 561", "40"), ("", "", "", "")), follow=True
    )

    assert "Delivery settings saved." in response.content.decode()
    setup = delivery_setup(store.pk)
    assert (setup.flat_fee, setup.free_above, setup.blocked) == (
        Decimal("60.00"),
        Decimal("999.00"),
        "700001",
    )
    assert (setup.cod_enabled, setup.cod_fee, setup.cod_max_order) == (True, Decimal("20.00"), None)
    assert [(zone.name, zone.pins, zone.fee) for zone in setup.zones] == [
        ("Bengaluru", "560, 561", Decimal("40.00"))
    ]


def test_positions_reorder_zones_and_remove_drops_one(me, store):
    me.post(
        URL,
        settings_form(
            ("1", "Bengaluru", "560", "40"), ("2", "Mysuru", "570", "50"), ("3", "Hubli", "580", "70")
        ),
    )

    me.post(
        URL,
        settings_form(
            ("2", "Bengaluru", "560", "40"),
            ("1", "Mysuru", "570", "50"),
            ("3", "Hubli", "580", "70"),
            delete=(2,),
        ),
    )

    assert list(DeliveryZone.objects.filter(store=store).values_list("position", "name")) == [
        (1, "Mysuru"),
        (2, "Bengaluru"),
    ]


def test_a_zone_that_never_applies_is_refused_on_its_row_and_nothing_is_saved(me, store):
    response = me.post(
        URL, settings_form(("1", "Bengaluru", "56", "40"), ("2", "Koramangala", "560034", "20"))
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "Zone “Koramangala” never applies: 560034 is already in zone “Bengaluru”, which comes first." in page
    )
    assert delivery_setup(store.pk) == DEFAULT_SETUP


def test_partly_overlapping_zones_are_saved_with_a_note_on_which_wins(me):
    response = me.post(
        URL,
        settings_form(("1", "Central", "560001-560050", "30"), ("2", "East", "560040-560099", "50")),
        follow=True,
    )

    assert "“Central” comes first, so its fee applies there." in response.content.decode()


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"flat_fee": "-40"}, "digits, at most two after the point"),
        ({"cod_fee": "20.555"}, "digits, at most two after the point"),
        ({"free_above": "0"}, "must be more than 0; leave it empty for no limit"),
        ({"cod_max_order": "99999999"}, "must be at most 10,000,000. Check for extra zeros."),
        ({"blocked": "7000 01x"}, "“7000 01x” is not a PIN code"),
        ({"cod_confirm_hours": "100"}, "as 1 to 72, or 0 for no confirmation"),
        ({"cod_confirm_hours": "24", "cod_advance": "50"}, "add your UPI ID in the store settings first"),
    ],
)
def test_a_bad_value_is_a_form_error_and_nothing_is_saved(me, store, fields, said):
    response = me.post(URL, settings_form(**fields))

    assert response.status_code == 200
    assert said in response.content.decode()
    assert delivery_terms(store.pk) == DEFAULT_TERMS


def test_cod_confirmation_and_an_advance_are_saved(me, store):
    change_store(store, upi_id="asha@okaxis")

    me.post(URL, settings_form(cod_confirm_hours="24", cod_advance="99"))

    setup = delivery_setup(store.pk)
    assert (setup.cod_confirm_hours, setup.cod_advance) == (24, Decimal("99.00"))
    page = me.get(URL).content.decode()
    assert 'name="cod_confirm_hours" value="24"' in page


def test_a_zone_row_with_a_bad_pin_list_says_so(me, store):
    response = me.post(URL, settings_form(("1", "Far", "9", "40")))

    assert "“9” is not a PIN code" in response.content.decode()
    assert delivery_terms(store.pk) == DEFAULT_TERMS


def test_try_a_pin_shows_what_a_buyer_sees(me):
    me.post(URL, settings_form(("1", "Bengaluru", "560", "40")))

    assert "Delivers to 560038 · ₹40 delivery" in me.get(URL, {"pin": "560 038"}).content.decode()
    assert (
        "Delivers to 560038 · free delivery"
        in me.get(URL, {"pin": "560038", "value": "999"}).content.decode()
    )
    assert "Sorry, this shop does not deliver to 700001" in me.get(URL, {"pin": "700001"}).content.decode()
    assert "Cash on delivery · ₹20 fee" in me.get(URL, {"pin": "110001"}).content.decode()


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ({"pin": "96001"}, "A PIN code is 6 digits"),
        ({"pin": "560038", "value": "1e3"}, "Order value: Write an amount"),
    ],
)
def test_try_a_bad_pin_or_value_says_what_is_wrong(me, query, said):
    assert said in me.get(URL, query).content.decode()


def test_the_page_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_a_merchant_who_chose_hindi_is_told_in_hindi_why_delivery_settings_are_refused(me, store):
    type(store.owner).objects.filter(pk=store.owner.pk).update(language="hi")
    zones = (("1", "Bengaluru", "56", "40"), ("2", "Koramangala", "560034", "20"))
    page = me.post(URL, settings_form(*zones, free_above="0", blocked="7000 01x")).content.decode()
    assert "ज़ोन “Koramangala” कभी लागू नहीं होगा: 560034 पहले से ज़ोन “Bengaluru” में है, जो पहले आता है।" in page
    assert "इससे ऊपर मुफ़्त डिलीवरी: 0 से ज़्यादा रखें; कोई सीमा न हो तो खाली छोड़ें।" in page
    assert "“7000 01x” न पिन कोड है (560038)" in page
    assert "never applies" not in page and "is not a PIN code" not in page
    assert delivery_setup(store.pk) == DEFAULT_SETUP
