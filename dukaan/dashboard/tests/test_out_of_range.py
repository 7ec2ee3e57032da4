"""Numbers a merchant's browser (or anyone) may put in a dashboard address or form, however large."""

from decimal import Decimal

import pytest
from django.urls import reverse

from dukaan.catalog.models import Product
from dukaan.dashboard.tests.test_views import product_post

pytestmark = pytest.mark.django_db

BIGINT_PLUS_ONE = str(2**63)
HUGE = "99999999999999999999999"


@pytest.mark.parametrize("raw", [BIGINT_PLUS_ONE, HUGE])
def test_a_category_filter_too_large_for_any_id_lists_every_product(me, product, raw):
    response = me.get(reverse("dashboard:products"), {"category": raw})

    assert response.status_code == 200
    assert "Cotton kurta" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        f"/dashboard/products/{HUGE}/",
        f"/dashboard/products/{BIGINT_PLUS_ONE}/delete/",
        f"/dashboard/orders/{HUGE}/",
        f"/s/asha-store/p/{HUGE}/",
        f"/s/asha-store/c/{BIGINT_PLUS_ONE}/",
    ],
)
def test_an_id_in_a_path_too_large_for_any_row_is_a_404(me, product, path):
    assert me.get(path).status_code == 404


def test_removing_an_image_with_an_impossible_id_saves_the_rest_of_the_edit(me, product):
    url = reverse("dashboard:product_edit", args=[product.pk])
    form = product_post(
        name="Cotton kurta, block printed",
        remove_image=[HUGE, BIGINT_PLUS_ONE],
        **{"variants-TOTAL_FORMS": "0"},
    )

    response = me.post(url, form)

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "Cotton kurta, block printed"
    assert product.images.count() == 1


def test_a_bulk_edit_naming_an_impossible_product_id_changes_only_the_real_ones(me, store, product):
    response = me.post(
        reverse("dashboard:bulk_edit"),
        {"product": [HUGE, str(product.pk)], f"price_{product.pk}": "450", f"stock_{product.pk}": "3"},
    )

    assert response.status_code == 302
    assert Product.objects.get(pk=product.pk).price == Decimal("450")


def test_a_variant_id_too_large_for_any_row_is_a_form_error(me, product):
    url = reverse("dashboard:product_edit", args=[product.pk])
    form = product_post(
        **{
            "variants-TOTAL_FORMS": "1",
            "variants-0-id": HUGE,
            "variants-0-options": "Size: M",
            "variants-0-price": "499",
        },
    )

    response = me.post(url, form)

    assert response.status_code == 200
    assert product.variants.count() == 2
