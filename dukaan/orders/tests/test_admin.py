"""Staff can look at orders and payments in the admin, never change them there."""

import pytest
from django.urls import reverse

from .conftest import line, order

pytestmark = pytest.mark.django_db


def test_staff_can_list_and_open_orders_but_not_change_them(staff, product):
    placed = order(product.store, [line(product, product.variants.first())])
    listing = staff.get(reverse("admin:orders_order_changelist"))
    assert listing.status_code == 200 and placed.buyer_name in listing.content.decode()
    detail = staff.get(reverse("admin:orders_order_change", args=[placed.pk]))
    assert detail.status_code == 200 and "Cotton kurta" in detail.content.decode()
    assert staff.get(reverse("admin:orders_order_add")).status_code == 403
    response = staff.post(reverse("admin:orders_order_change", args=[placed.pk]), {"status": "delivered"})
    assert response.status_code == 403
    placed.refresh_from_db()
    assert placed.status == "placed"


@pytest.mark.parametrize("model", ["payment", "processedwebhook"])
def test_staff_can_list_payments_and_webhooks(staff, model):
    assert staff.get(reverse(f"admin:payments_{model}_changelist")).status_code == 200
    assert staff.get(reverse(f"admin:payments_{model}_add")).status_code == 403
