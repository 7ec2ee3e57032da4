"""Saving delivery settings: all or nothing, one event, read back as the terms checkout uses."""

from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dukaan.conftest import change_store
from dukaan.events.models import OutboxEvent
from dukaan.shipping.models import DeliverySettings, DeliveryZone
from dukaan.shipping.rules import DEFAULT_SETUP, DEFAULT_TERMS, ZoneSetup, quote_delivery
from dukaan.shipping.selectors import delivery_setup, delivery_terms
from dukaan.shipping.services import save_delivery_settings

pytestmark = pytest.mark.django_db

SETUP = replace(
    DEFAULT_SETUP,
    flat_fee=Decimal("80.00"),
    free_above=Decimal("999.00"),
    cod_fee=Decimal("20.00"),
    cod_max_order=Decimal("5000.00"),
    blocked="700001\n7001",
    zones=(
        ZoneSetup(name="Koramangala", pins="560034", fee=Decimal("20.00")),
        ZoneSetup(name="Bengaluru", pins="560, 561", fee=Decimal("40.00")),
    ),
)


def test_a_store_that_saved_nothing_has_the_default_terms(store, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        assert delivery_terms(store.pk) == DEFAULT_TERMS


def test_saved_settings_come_back_as_entered_and_as_terms_in_two_queries(
    store, django_assert_max_num_queries
):
    save_delivery_settings(store=store, setup=SETUP)

    with django_assert_max_num_queries(2):
        terms = delivery_terms(store.pk)
    assert delivery_setup(store.pk) == SETUP
    assert quote_delivery(terms, "560034", Decimal("100")).fee == Decimal("20.00")
    assert quote_delivery(terms, "561001", Decimal("100")).zone == "Bengaluru"
    assert not quote_delivery(terms, "700123", Decimal("100")).deliverable


def test_saving_emits_one_event_with_the_settings(store):
    save_delivery_settings(store=store, setup=SETUP)

    (event,) = OutboxEvent.objects.filter(type="delivery_settings.changed")
    assert event.aggregatetype == "store"
    data = event.payload["data"]
    assert data["flat_fee"] == "80.00"
    assert data["zones"] == [
        {"name": "Koramangala", "pins": "560034", "fee": "20.00"},
        {"name": "Bengaluru", "pins": "560, 561", "fee": "40.00"},
    ]


def test_saving_again_replaces_the_zones_in_their_new_order(store):
    save_delivery_settings(store=store, setup=SETUP)
    save_delivery_settings(store=store, setup=replace(SETUP, zones=SETUP.zones[::-1][:1]))

    assert list(DeliveryZone.objects.filter(store=store).values_list("position", "name")) == [
        (1, "Bengaluru")
    ]


def test_a_refused_save_changes_nothing(store):
    save_delivery_settings(store=store, setup=SETUP)
    overlapping = replace(SETUP, flat_fee=Decimal("10"), zones=SETUP.zones[::-1])

    with pytest.raises(ValidationError) as refused:
        save_delivery_settings(store=store, setup=overlapping)

    assert "never applies" in refused.value.message_dict["zones[1].pins"][0]
    assert DeliverySettings.objects.get(store=store).flat_fee == Decimal("80.00")
    assert delivery_setup(store.pk) == SETUP
    assert OutboxEvent.objects.filter(type="delivery_settings.changed").count() == 1


def test_each_store_has_its_own_settings(store, other_store):
    save_delivery_settings(store=store, setup=SETUP)

    assert delivery_terms(other_store.pk) == DEFAULT_TERMS


def test_cod_confirmation_and_an_advance_are_saved_and_read_back_as_terms(store):
    store = change_store(store, upi_id="asha@okaxis")
    setup = replace(SETUP, cod_confirm_hours=24, cod_advance=Decimal("99.00"))

    save_delivery_settings(store=store, setup=setup)

    assert delivery_setup(store.pk) == setup
    terms = delivery_terms(store.pk)
    assert (terms.cod_confirm_hours, terms.cod_advance, terms.cod_needs_confirmation) == (
        24,
        Decimal("99.00"),
        True,
    )
    data = OutboxEvent.objects.get(type="delivery_settings.changed").payload["data"]
    assert (data["cod_confirm_hours"], data["cod_advance"]) == (24, "99.00")


def test_confirmation_is_off_when_cod_is_off(store):
    save_delivery_settings(store=store, setup=replace(SETUP, cod_enabled=False, cod_confirm_hours=24))

    assert not delivery_terms(store.pk).cod_needs_confirmation


@pytest.mark.parametrize(
    ("change", "field", "said"),
    [
        ({"cod_confirm_hours": 73}, "cod_confirm_hours", "as 1 to 72, or 0 for no confirmation"),
        ({"cod_confirm_hours": -1}, "cod_confirm_hours", "as 1 to 72, or 0 for no confirmation"),
        ({"cod_confirm_hours": 24, "cod_advance": Decimal("-5")}, "cod_advance", "cannot be negative"),
        ({"cod_advance": Decimal("50")}, "cod_advance", "An advance needs a confirmation time"),
    ],
)
def test_bad_confirmation_hours_or_advance_are_refused(store, change, field, said):
    store = change_store(store, upi_id="asha@okaxis")

    with pytest.raises(ValidationError) as refused:
        save_delivery_settings(store=store, setup=replace(SETUP, **change))

    assert said in refused.value.message_dict[field][0]
    assert delivery_terms(store.pk) == DEFAULT_TERMS


def test_an_advance_needs_the_store_s_upi_id(store):
    with pytest.raises(ValidationError) as refused:
        save_delivery_settings(
            store=store, setup=replace(SETUP, cod_confirm_hours=24, cod_advance=Decimal("50"))
        )

    assert "add your UPI ID in the store settings first" in refused.value.message_dict["cod_advance"][0]
    assert delivery_terms(store.pk) == DEFAULT_TERMS
