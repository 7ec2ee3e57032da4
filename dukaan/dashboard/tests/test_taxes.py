"""The Tax page and a product's GST block, as a shopkeeper uses them on a phone."""

from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from dukaan.catalog.models import Category
from dukaan.taxes.models import TaxRate, TaxSettings
from dukaan.taxes.rules import UNREGISTERED, Rate
from dukaan.taxes.selectors import rates_for, tax_terms
from dukaan.taxes.services import set_tax_rate

pytestmark = pytest.mark.django_db

SETTINGS = {
    "gstin": "29ABCDE1234F1ZW",
    "state_code": "29",
    "prices_include_tax": "on",
    "legal_name": "Asha Textiles",
    "address": "12 MG Road, Bengaluru 560001",
    "default_hsn": "6109",
    "default_rate": "5",
}


def page(response) -> str:
    return unescape(response.content.decode())


def test_an_unregistered_store_is_told_no_gst_is_charged(me):
    html = page(me.get(reverse("dashboard:tax_settings")))
    assert "No GST is charged: add your GSTIN if you are registered." in html
    assert "Karnataka (29)" in html  # the state list
    assert "40 % · Luxury and sin goods" in html  # the rate list from the schedule


def test_saving_a_gstin_registers_the_store(me, store):
    response = me.post(reverse("dashboard:tax_settings"), SETTINGS)
    assert response.status_code == 302
    terms = tax_terms(store.pk)
    assert (terms.registered, terms.gstin, terms.prices_include_tax) == (True, "29ABCDE1234F1ZW", True)
    html = page(me.get(reverse("dashboard:tax_settings")))
    assert "No GST is charged" not in html
    assert "Tax settings saved" in html
    assert '<option value="5" selected>' in html  # the saved default rate (5.00) shows as chosen


def test_a_gstin_for_another_state_is_refused_and_nothing_is_saved(me, store):
    response = me.post(reverse("dashboard:tax_settings"), {**SETTINGS, "gstin": "27AAPFU0939F1ZV"})
    assert response.status_code == 200
    assert "This GSTIN is registered in Maharashtra (27), but the store's state is Karnataka (29)." in page(
        response
    )
    assert not TaxSettings.objects.exists()


def test_a_mistyped_gstin_says_what_is_wrong(me):
    response = me.post(reverse("dashboard:tax_settings"), {**SETTINGS, "gstin": "29ABCDE1234F1Z"})
    assert "A GSTIN has 15 characters; this one has 14." in page(response)


def test_an_ended_rate_is_refused_as_a_default(me):
    response = me.post(reverse("dashboard:tax_settings"), {**SETTINGS, "default_rate": "12"})
    assert "12 % is not a GST rate on" in page(response)
    assert not TaxSettings.objects.exists()


def test_a_rate_outside_the_list_is_refused_by_the_form(me):
    response = me.post(reverse("dashboard:tax_settings"), {**SETTINGS, "default_rate": "7"})
    assert "Select a valid choice." in page(response)
    assert not TaxSettings.objects.exists()


def test_setting_a_categorys_rate(me, store, product):
    response = me.post(
        reverse("dashboard:category_tax"),
        {"category": product.category_id, "hsn_code": "6211", "rate": "5", "valid_from": "2025-09-22"},
    )
    assert response.status_code == 302
    html = page(me.get(reverse("dashboard:tax_settings")))
    assert "Kurtas: 5 % · HSN 6211 since 22 Sep 2025" in " ".join(
        html.replace("<strong>", "").replace("</strong>", "").split()
    )
    assert rates_for(store.pk, [(product.pk, product.category_id)], date(2026, 1, 1)) == {
        product.pk: Rate(Decimal("5"), "6211")
    }


def test_another_stores_category_cannot_be_chosen(me, other_store):
    theirs = Category.objects.create(store=other_store, name="Theirs")
    response = me.post(
        reverse("dashboard:category_tax"),
        {"category": theirs.pk, "hsn_code": "6211", "rate": "5", "valid_from": "2025-09-22"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in page(response)
    assert not TaxRate.objects.exists()


def test_clearing_a_categorys_rate(me, store, product):
    set_tax_rate(
        store=store,
        category=product.category,
        hsn_code="6211",
        rate=Decimal("5"),
        valid_from=date(2025, 9, 22),
    )
    response = me.post(reverse("dashboard:category_tax_clear", args=[product.category_id]))
    assert response.status_code == 302
    assert not TaxRate.objects.exists()


def test_the_product_page_shows_its_gst_block(me, store, product):
    html = page(me.get(reverse("dashboard:product_edit", args=[product.pk])))
    assert "<h2>GST</h2>" in html
    assert "No GST is charged: add your GSTIN if you are registered." in html
    assert "No GST rate yet" in html


def test_setting_a_products_rate_from_a_date(me, store, product):
    response = me.post(
        reverse("dashboard:product_tax", args=[product.pk]),
        {"hsn_code": "6109", "rate": "18", "valid_from": "2025-10-01"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:product_edit", args=[product.pk])
    html = page(me.get(response["Location"]))
    assert "GST of “Cotton kurta”: 18 % from 1 October 2025." in html
    assert "Since 1 Oct 2025: 18 % · HSN 6109" in html
    assert '<option value="18" selected>' in html  # the form starts from the latest rate
    assert rates_for(store.pk, [(product.pk, None)], date(2025, 10, 1)) == {
        product.pk: Rate(Decimal("18"), "6109")
    }


def test_a_rate_not_in_force_on_the_date_is_refused_on_its_own_page(me, product):
    response = me.post(
        reverse("dashboard:product_tax", args=[product.pk]),
        {"hsn_code": "6109", "rate": "12", "valid_from": "2025-10-01"},
    )
    assert response.status_code == 200
    html = page(response)
    assert (
        "12 % is not a GST rate on 1 October 2025. Choose one of 0 %, 0.25 %, 3 %, 5 %, 18 %, 40 %." in html
    )
    assert 'value="6109"' in html  # what was typed stays
    assert not TaxRate.objects.exists()


def test_a_bad_hsn_code_is_refused(me, product):
    response = me.post(
        reverse("dashboard:product_tax", args=[product.pk]),
        {"hsn_code": "61A9", "rate": "5", "valid_from": "2025-10-01"},
    )
    assert "An HSN code is 4, 6 or 8 digits" in page(response)
    assert not TaxRate.objects.exists()


def test_another_stores_product_is_not_found(me, other_store):
    from dukaan.catalog import services as catalog

    theirs = catalog.create_product(store=other_store, name="Theirs", price=Decimal("10"))
    response = me.post(
        reverse("dashboard:product_tax", args=[theirs.pk]),
        {"hsn_code": "6109", "rate": "5", "valid_from": "2025-10-01"},
    )
    assert response.status_code == 404
    assert tax_terms(other_store.pk) == UNREGISTERED
    assert not TaxRate.objects.exists()


def test_clearing_a_products_rate(me, store, product):
    set_tax_rate(
        store=store, product=product, hsn_code="6109", rate=Decimal("5"), valid_from=date(2025, 9, 22)
    )
    response = me.post(reverse("dashboard:product_tax_clear", args=[product.pk]))
    assert response.status_code == 302
    assert not TaxRate.objects.exists()


def test_a_merchant_who_chose_hindi_is_refused_in_hindi_and_nothing_is_saved(me, store, product):
    type(store.owner).objects.filter(pk=store.owner.pk).update(language="hi")
    rate_url = reverse("dashboard:product_tax", args=[product.pk])
    html = page(me.post(rate_url, {"hsn_code": "6109", "rate": "12", "valid_from": "2025-10-01"}))
    assert "1 अक्टूबर 2025 को 12 % कोई GST दर नहीं है। इनमें से एक चुनें: 0 %, 0.25 %, 3 %, 5 %, 18 %, 40 %।" in html
    html = page(me.post(rate_url, {"hsn_code": "61A9", "rate": "18", "valid_from": "2017-01-01"}))
    assert "GST 1 जुलाई 2017 से शुरू हुआ: उस दिन की या उसके बाद की तारीख चुनें।" in html
    assert "HSN कोड 4, 6 या 8 अंकों का होता है" in html
    assert "not a GST rate" not in html and "GST began" not in html
    settings = page(me.post(reverse("dashboard:tax_settings"), {**SETTINGS, "gstin": "27AAPFU0939F1ZV"}))
    assert "यह GSTIN महाराष्ट्र (27) में रजिस्टर्ड है, पर दुकान का राज्य कर्नाटक (29) है।" in settings
    short = page(me.post(reverse("dashboard:tax_settings"), {**SETTINGS, "gstin": "29ABCDE1234F1Z"}))
    assert "GSTIN में 15 अक्षर होते हैं; इसमें 14 हैं।" in short
    assert not TaxRate.objects.exists() and not TaxSettings.objects.exists()
