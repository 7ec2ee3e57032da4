"""Prices typed into the dashboard follow the API's rule: ASCII digits, at most two after the point."""

from decimal import Decimal

import pytest
from django.urls import reverse

from dukaan.catalog.models import Product

pytestmark = pytest.mark.django_db

# Each of these Python's Decimal() reads as a number, and the API refuses.
NOT_AN_AMOUNT = ["1e3", "1_000", "١٠٠٠", "१०००", "-5", "Infinity", "12.345"]
FORMAT_ERROR = "digits, at most two after the point"


def product_form(**overrides) -> dict:
    return {
        "name": "Steel tumbler",
        "price": "120",
        "stock": "10",
        "is_active": "on",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "0",
        **overrides,
    }


@pytest.mark.parametrize("field", ["price", "compare_at_price"])
@pytest.mark.parametrize("typed", NOT_AN_AMOUNT)
def test_a_product_price_the_api_would_refuse_is_a_form_error(me, field, typed):
    response = me.post(reverse("dashboard:product_create"), product_form(**{field: typed}))

    assert response.status_code == 200
    assert FORMAT_ERROR in response.content.decode()
    assert not Product.objects.exists()


@pytest.mark.parametrize("typed", NOT_AN_AMOUNT)
def test_a_variant_price_the_api_would_refuse_is_a_form_error(me, typed):
    form = product_form(**{"variants-0-options": "Size: M", "variants-0-price": typed})

    response = me.post(reverse("dashboard:product_create"), form)

    assert response.status_code == 200
    assert FORMAT_ERROR in response.content.decode()
    assert not Product.objects.exists()


@pytest.mark.parametrize("typed", NOT_AN_AMOUNT)
def test_a_bulk_edit_price_the_api_would_refuse_changes_nothing(me, product, typed):
    response = me.post(
        reverse("dashboard:bulk_edit"),
        {"product": [product.pk], f"price_{product.pk}": typed, f"stock_{product.pk}": "3"},
    )

    assert response.status_code == 200
    assert "Cotton kurta: Write an amount like" in response.content.decode()
    product.refresh_from_db()
    assert product.price == Decimal("499.00")


def test_amounts_as_people_write_them_are_saved(me):
    response = me.post(
        reverse("dashboard:product_create"), product_form(price=" 99.5 ", compare_at_price="120")
    )

    assert response.status_code == 302
    assert Product.objects.get().price == Decimal("99.50")
