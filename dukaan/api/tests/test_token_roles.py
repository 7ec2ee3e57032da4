"""A token does no more than the role of the member who made it, and stops working when they leave."""

import pytest

from dukaan.accounts.members import Asker, remove_member
from dukaan.accounts.models import AuditEntry, Membership, User
from dukaan.accounts.roles import Role
from dukaan.accounts.services import create_api_token
from dukaan.orders.models import Order

from .conftest import ApiClient, make_order, problem, simple_product

pytestmark = pytest.mark.django_db


def member_token(store, phone: str, role: Role, scopes: list[str]) -> tuple[User, ApiClient]:
    user = User.objects.create_user(phone)
    Membership.objects.create(store=store, user=user, role=role)
    raw = create_api_token(store=store, name="phone", scopes=scopes, created_by=user, role=role)[1]
    return user, ApiClient(raw)


def test_a_staff_token_accepts_an_order_but_cannot_cancel_it_or_refund(store):
    order = make_order(store, simple_product(store))
    _, api = member_token(store, "+919812300011", Role.STAFF, ["orders:read", "orders:write"])

    body = problem(api.post(f"/orders/{order.pk}/status", {"status": "cancelled"}), 403)
    assert body["type"] == "/api/problems/role-refused" and body["token_role"] == "staff"
    assert "Only the owner, an Admin or a Manager can cancel orders" in body["detail"]
    assert Order.objects.get(pk=order.pk).status == Order.Status.PLACED
    problem(api.post(f"/orders/{order.pk}/refunds", {"amount": "1", "method": "cash"}), 403)

    assert api.post(f"/orders/{order.pk}/status", {"status": "accepted"}).status_code == 200
    entry = AuditEntry.objects.get(store=store, field="order_status")
    assert (entry.old_value, entry.new_value, entry.actor_kind, entry.actor) == (
        "placed",
        "accepted",
        "token",
        "phone",
    )


def test_an_admin_token_changes_the_store_name_but_not_its_upi_id(store):
    _, api = member_token(store, "+919812300021", Role.ADMIN, ["store:write"])
    body = problem(api.patch("/store", {"upi_id": "thief@okaxis"}), 403)
    assert "Only the store's owner can change its payment details" in body["detail"]
    store.refresh_from_db()
    assert store.upi_id == ""
    assert api.patch("/store", {"name": "Renamed by Admin"}).status_code == 200


def test_a_removed_members_token_is_refused(store):
    user, api = member_token(store, "+919812300031", Role.MANAGER, ["catalog:read"])
    assert api.get("/products").status_code == 200
    remove_member(store=store, asker=Asker(user=store.owner, role=Role.OWNER), user_id=user.pk)
    assert problem(api.get("/products"), 401)["type"] == "/api/problems/unauthorized"


def test_a_stock_change_through_the_api_names_the_token_in_the_audit_log(store):
    product = simple_product(store)
    _, api = member_token(store, "+919812300041", Role.MANAGER, ["catalog:write"])
    assert api.post(f"/products/{product.pk}/stock", {"stock": 3}).status_code == 200
    entry = AuditEntry.objects.get(store=store, field="stock")
    assert (entry.old_value, entry.new_value, entry.actor_kind, entry.actor) == ("10", "3", "token", "phone")
