"""Staff see merchants, stores and products in the admin; changes go through the services."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["store", "product", "category"])
def test_staff_can_list_and_open_catalog_rows_but_not_change_them(staff, product, model):
    target = {"store": product.store, "product": product, "category": product.category}[model]
    listing = staff.get(reverse(f"admin:catalog_{model}_changelist"))
    assert listing.status_code == 200 and target.name in listing.content.decode()
    detail = staff.get(reverse(f"admin:catalog_{model}_change", args=[target.pk]))
    assert detail.status_code == 200
    assert staff.get(reverse(f"admin:catalog_{model}_add")).status_code == 403
    assert (
        staff.post(reverse(f"admin:catalog_{model}_change", args=[target.pk]), {"name": "X"}).status_code
        == 403
    )


def test_staff_see_merchants_by_phone(staff, store):
    html = staff.get(reverse("admin:accounts_user_changelist"), {"q": "9812345601"}).content.decode()
    assert store.owner.phone in html


def test_a_merchant_cannot_open_the_admin(client, store):
    client.force_login(store.owner)
    response = client.get(reverse("admin:catalog_store_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
