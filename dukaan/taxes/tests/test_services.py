"""Saving GST settings and rates: what is refused, what is saved, and which rate applies on a day."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dukaan.catalog import services as catalog
from dukaan.events.models import OutboxEvent
from dukaan.taxes import events
from dukaan.taxes.models import TaxRate, TaxSettings
from dukaan.taxes.rules import UNREGISTERED, Rate, TaxTerms
from dukaan.taxes.selectors import rates_for, tax_terms
from dukaan.taxes.services import clear_tax_rate, save_tax_settings, set_tax_rate

pytestmark = pytest.mark.django_db

KARNATAKA_GSTIN = "29ABCDE1234F1ZW"
MAHARASHTRA_GSTIN = "27AAPFU0939F1ZV"
REGISTERED = {
    "gstin": KARNATAKA_GSTIN,
    "state_code": "29",
    "prices_include_tax": True,
    "legal_name": "Asha Textiles",
    "address": "12 MG Road, Bengaluru 560001",
}


def messages(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


def test_a_store_that_saved_nothing_is_unregistered(store):
    assert tax_terms(store.pk) == UNREGISTERED


def test_saving_a_gstin_registers_the_store_and_emits_one_event(store):
    save_tax_settings(store=store, **{**REGISTERED, "gstin": " 29abcde1234f1zw"})
    assert tax_terms(store.pk) == TaxTerms(
        True, KARNATAKA_GSTIN, "29", True, "Asha Textiles", "12 MG Road, Bengaluru 560001"
    )
    (event,) = OutboxEvent.objects.filter(type=events.TAX_SETTINGS_CHANGED.name)
    assert event.aggregatetype == "store"
    assert event.payload["data"]["gstin"] == KARNATAKA_GSTIN


def test_a_gstin_of_another_state_is_refused_naming_both_states(store):
    with pytest.raises(ValidationError) as error:
        save_tax_settings(store=store, **{**REGISTERED, "gstin": MAHARASHTRA_GSTIN})
    assert messages(error)["gstin"] == [
        "This GSTIN is registered in Maharashtra (27), but the store's state is Karnataka (29). "
        "Check both: a GSTIN belongs to one state."
    ]
    assert not TaxSettings.objects.exists()
    assert not OutboxEvent.objects.filter(type=events.TAX_SETTINGS_CHANGED.name).exists()


def test_a_mistyped_gstin_is_refused_and_nothing_is_saved(store):
    save_tax_settings(store=store, **REGISTERED)
    with pytest.raises(ValidationError) as error:
        save_tax_settings(store=store, **{**REGISTERED, "gstin": "29ABCDE1234F1ZX", "legal_name": "Other"})
    assert "check character" in messages(error)["gstin"][0]
    assert tax_terms(store.pk).legal_name == "Asha Textiles"


def test_a_registered_store_must_give_its_legal_name_and_address(store):
    with pytest.raises(ValidationError) as error:
        save_tax_settings(store=store, gstin=KARNATAKA_GSTIN, state_code="29", prices_include_tax=True)
    assert set(messages(error)) == {"legal_name", "address"}


def test_a_state_not_in_the_list_is_refused(store):
    with pytest.raises(ValidationError) as error:
        save_tax_settings(store=store, **{**REGISTERED, "state_code": "99"})
    assert messages(error)["state_code"] == ["Choose your state from the list."]


def test_clearing_the_gstin_stops_charging_gst(store):
    save_tax_settings(store=store, **REGISTERED)
    save_tax_settings(store=store, gstin="", state_code="29", prices_include_tax=True)
    assert tax_terms(store.pk) == UNREGISTERED


def test_a_default_rate_not_in_todays_schedule_is_refused_listing_the_rates(store):
    with pytest.raises(ValidationError) as error:
        save_tax_settings(store=store, **REGISTERED, default_hsn="6109", default_rate=Decimal("12"))
    assert messages(error)["default_rate"] == [
        f"12 % is not a GST rate on {timezone.localdate().day} {timezone.localdate():%B %Y}. "
        "Choose one of 0 %, 0.25 %, 3 %, 5 %, 18 %, 40 %."
    ]


def test_a_default_hsn_code_is_checked_and_needs_a_rate(store):
    with pytest.raises(ValidationError) as error:
        save_tax_settings(store=store, **REGISTERED, default_hsn="61", default_rate=Decimal("5"))
    assert messages(error) == {
        "default_hsn": ["An HSN code is 4, 6 or 8 digits, e.g. 6109 for cotton T-shirts."]
    }
    with pytest.raises(ValidationError) as error:
        save_tax_settings(store=store, **REGISTERED, default_hsn="6109")
    assert messages(error) == {"default_rate": ["Choose the GST rate for HSN code 6109."]}


def test_an_hsn_code_needs_4_6_or_8_digits(store, product):
    with pytest.raises(ValidationError) as error:
        set_tax_rate(
            store=store, product=product, hsn_code="61091", rate=Decimal("5"), valid_from=date(2026, 1, 1)
        )
    assert messages(error)["hsn_code"] == ["An HSN code is 4, 6 or 8 digits, e.g. 6109 for cotton T-shirts."]
    assert not TaxRate.objects.exists()


def test_a_rate_is_checked_against_the_schedule_of_its_own_date(store, product):
    with pytest.raises(ValidationError) as error:
        set_tax_rate(
            store=store, product=product, hsn_code="6109", rate=Decimal("12"), valid_from=date(2025, 9, 22)
        )
    assert "12 % is not a GST rate on 22 September 2025" in messages(error)["rate"][0]
    set_tax_rate(
        store=store, product=product, hsn_code="6109", rate=Decimal("12"), valid_from=date(2025, 4, 1)
    )


def test_a_date_years_ahead_is_refused(store, product):
    with pytest.raises(ValidationError) as error:
        set_tax_rate(
            store=store,
            product=product,
            hsn_code="6109",
            rate=Decimal("5"),
            valid_from=timezone.localdate() + timedelta(days=400),
        )
    assert "check the year" in messages(error)["valid_from"][0]


def test_another_stores_product_is_refused(store, other_store, product):
    with pytest.raises(ValidationError, match="no such product"):
        set_tax_rate(
            store=other_store,
            product=product,
            hsn_code="6109",
            rate=Decimal("5"),
            valid_from=date(2026, 1, 1),
        )


def test_the_latest_rate_dated_on_or_before_the_day_applies(store, product):
    for day, rate in ((date(2024, 4, 1), "12"), (date(2025, 9, 22), "5"), (date(2026, 4, 1), "18")):
        set_tax_rate(store=store, product=product, hsn_code="6109", rate=Decimal(rate), valid_from=day)
    pair = [(product.pk, product.category_id)]
    assert rates_for(store.pk, pair, date(2024, 3, 31)) == {}
    assert rates_for(store.pk, pair, date(2025, 9, 21)) == {product.pk: Rate(Decimal("12.00"), "6109")}
    assert rates_for(store.pk, pair, date(2025, 9, 22)) == {product.pk: Rate(Decimal("5.00"), "6109")}
    assert rates_for(store.pk, pair, date(2026, 3, 31)) == {product.pk: Rate(Decimal("5.00"), "6109")}
    assert rates_for(store.pk, pair, date(2026, 4, 1)) == {product.pk: Rate(Decimal("18.00"), "6109")}


def test_setting_the_same_day_again_replaces_that_days_rate(store, product):
    set_tax_rate(
        store=store, product=product, hsn_code="6109", rate=Decimal("5"), valid_from=date(2026, 1, 1)
    )
    set_tax_rate(
        store=store, product=product, hsn_code="6110", rate=Decimal("18"), valid_from=date(2026, 1, 1)
    )
    assert TaxRate.objects.count() == 1
    assert rates_for(store.pk, [(product.pk, None)], date(2026, 1, 1)) == {
        product.pk: Rate(Decimal("18"), "6110")
    }
    assert OutboxEvent.objects.filter(type=events.TAX_RATE_CHANGED.name).count() == 2


def test_product_over_category_over_the_stores_default(store, product, django_assert_num_queries):
    save_tax_settings(store=store, **REGISTERED, default_hsn="9983", default_rate=Decimal("18"))
    shirt = catalog.create_product(store=store, name="Shirt", price=Decimal("899"))
    saree = catalog.create_product(
        store=store, name="Saree", price=Decimal("1999"), category=product.category
    )
    set_tax_rate(
        store=store,
        category=product.category,
        hsn_code="6211",
        rate=Decimal("5"),
        valid_from=date(2025, 9, 22),
    )
    set_tax_rate(store=store, product=saree, hsn_code="5007", rate=Decimal("3"), valid_from=date(2025, 9, 22))
    cart = [(product.pk, product.category_id), (shirt.pk, None), (saree.pk, saree.category_id)]
    with django_assert_num_queries(2):
        found = rates_for(store.pk, cart, date(2026, 1, 1))
    assert found == {
        product.pk: Rate(Decimal("5"), "6211"),
        shirt.pk: Rate(Decimal("18"), "9983"),
        saree.pk: Rate(Decimal("3"), "5007"),
    }


def test_rates_of_another_store_never_apply(store, other_store, product):
    set_tax_rate(
        store=store, product=product, hsn_code="6109", rate=Decimal("5"), valid_from=date(2025, 9, 22)
    )
    assert rates_for(other_store.pk, [(product.pk, product.category_id)], date(2026, 1, 1)) == {}


def test_clearing_a_products_rate_falls_back_to_its_category(store, product):
    set_tax_rate(
        store=store,
        category=product.category,
        hsn_code="6211",
        rate=Decimal("5"),
        valid_from=date(2025, 9, 22),
    )
    set_tax_rate(
        store=store, product=product, hsn_code="6109", rate=Decimal("18"), valid_from=date(2025, 9, 22)
    )
    assert clear_tax_rate(store=store, product=product) == 1
    assert rates_for(store.pk, [(product.pk, product.category_id)], date(2026, 1, 1)) == {
        product.pk: Rate(Decimal("5"), "6211")
    }
    cleared = OutboxEvent.objects.filter(type=events.TAX_RATE_CHANGED.name).order_by("created_at").last()
    assert cleared.payload["data"] == {
        "product_id": product.pk,
        "category_id": None,
        "hsn_code": "",
        "rate": None,
        "valid_from": None,
    }
