"""GST over the API: settings, a product's and a category's rate by date, and the schedule."""

from datetime import date
from decimal import Decimal

import pytest

from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import create_api_token
from dukaan.taxes.models import TaxRate, TaxSettings
from dukaan.taxes.rules import Rate
from dukaan.taxes.selectors import rates_for, tax_terms

from .conftest import ApiClient, problem, simple_product

pytestmark = pytest.mark.django_db

SETTINGS = {
    "gstin": "29abcde1234f1zw",
    "state_code": "29",
    "prices_include_tax": True,
    "legal_name": "Asha Textiles",
    "address": "12 MG Road, Bengaluru 560001",
    "default_hsn": "6109",
    "default_rate": "5",
}


def test_a_new_store_is_not_registered(api):
    body = api.get("/tax").json()
    assert body["registered"] is False
    assert body["gstin"] == "" and body["prices_include_tax"] is True and body["default_rate"] is None


def test_putting_the_settings_registers_the_store(api, store):
    response = api.put("/tax", SETTINGS)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["registered"] is True
    assert (body["gstin"], body["state_name"], body["default_rate"]) == ("29ABCDE1234F1ZW", "Karnataka", "5")
    assert tax_terms(store.pk).registered
    assert api.get("/tax").json() == body


def test_a_gstin_of_another_state_is_a_422_naming_both(api):
    body = problem(api.put("/tax", {**SETTINGS, "gstin": "27AAPFU0939F1ZV"}), 422)
    assert body["errors"][0]["field"] == "gstin"
    assert (
        "registered in Maharashtra (27), but the store's state is Karnataka (29)"
        in body["errors"][0]["message"]
    )
    assert not TaxSettings.objects.exists()


def test_a_rate_not_in_the_schedule_is_a_422_listing_the_rates(api):
    body = problem(api.put("/tax", {**SETTINGS, "default_rate": 12}), 422)
    assert body["errors"][0]["field"] == "default_rate"
    assert "Choose one of 0 %, 0.25 %, 3 %, 5 %, 18 %, 40 %." in body["errors"][0]["message"]


def test_the_schedule_lists_every_rate_with_its_days(api):
    items = api.get("/tax/rates").json()["items"]
    twelve = next(item for item in items if item["rate"] == "12")
    assert twelve["ends"] == "2025-09-21"
    assert {item["rate"] for item in items if item["ends"] is None} == {"0", "0.25", "3", "5", "18", "40"}


def test_a_products_rate_from_a_date(api, store):
    product = simple_product(store)
    response = api.put(
        f"/products/{product.pk}/tax", {"hsn_code": "7323", "rate": 18, "valid_from": "2025-10-01"}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "product_id": product.pk,
        "category_id": None,
        "hsn_code": "7323",
        "rate": "18",
        "valid_from": "2025-10-01",
    }
    assert rates_for(store.pk, [(product.pk, None)], date(2025, 10, 1)) == {
        product.pk: Rate(Decimal("18"), "7323")
    }
    assert api.delete(f"/products/{product.pk}/tax").status_code == 204
    assert not TaxRate.objects.exists()


def test_a_bad_date_or_rate_is_a_422(api, store):
    product = simple_product(store)
    body = problem(
        api.put(
            f"/products/{product.pk}/tax", {"hsn_code": "7323", "rate": "18", "valid_from": "01-10-2025"}
        ),
        422,
    )
    assert body["errors"][0]["field"] == "valid_from"
    body = problem(
        api.put(
            f"/products/{product.pk}/tax", {"hsn_code": "7323", "rate": "28", "valid_from": "2025-10-01"}
        ),
        422,
    )
    assert body["errors"] == [
        {
            "field": "rate",
            "location": "body",
            "message": "28 % is not a GST rate on 1 October 2025. "
            "Choose one of 0 %, 0.25 %, 3 %, 5 %, 18 %, 40 %.",
        }
    ]
    assert not TaxRate.objects.exists()


def test_a_categorys_rate(api, store, product):
    response = api.put(
        f"/categories/{product.category_id}/tax",
        {"hsn_code": "6211", "rate": "5", "valid_from": "2025-09-22"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["category_id"] == product.category_id
    assert rates_for(store.pk, [(product.pk, product.category_id)], date(2026, 1, 1)) == {
        product.pk: Rate(Decimal("5"), "6211")
    }
    assert api.delete(f"/categories/{product.category_id}/tax").status_code == 204
    assert not TaxRate.objects.exists()


def test_another_stores_product_or_category_is_a_404(api, other_store):
    theirs = simple_product(other_store)
    rate = {"hsn_code": "7323", "rate": "18", "valid_from": "2025-10-01"}
    problem(api.put(f"/products/{theirs.pk}/tax", rate), 404)
    problem(api.delete(f"/products/{theirs.pk}/tax"), 404)
    problem(api.put("/categories/999999/tax", rate), 404)
    assert not TaxRate.objects.exists()


def test_writing_needs_the_store_write_scope(store):
    reader = ApiClient(create_api_token(store=store, name="Reader", scopes=[Scope.CATALOG_READ])[1])
    assert reader.get("/tax").status_code == 200
    problem(reader.put("/tax", SETTINGS), 403)
    assert not TaxSettings.objects.exists()
