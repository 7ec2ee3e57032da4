"""Inviting people onto a store's staff, changing their role and removing them: who may, what is refused
(with a message and nothing changed), what the audit log records and which tokens stop working."""

import pytest
from django.core.exceptions import PermissionDenied

from dukaan.accounts.members import (
    Asker,
    MemberRefused,
    change_member_role,
    invite_member,
    remove_member,
    store_role,
)
from dukaan.accounts.models import ApiToken, AuditEntry, Membership, User
from dukaan.accounts.roles import Role
from dukaan.accounts.services import authenticate_api_token, create_api_token
from dukaan.conftest import make_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(store):
    return Asker(user=store.owner, role=Role.OWNER)


def member(store, phone: str, role: Role) -> Asker:
    user = User.objects.create_user(phone)
    Membership.objects.create(store=store, user=user, role=role)
    return Asker(user=user, role=role)


def refused(call, status: int) -> str:
    with pytest.raises(MemberRefused) as error:
        call()
    assert error.value.status == status
    return error.value.message


def test_the_owner_invites_a_new_phone_as_staff_and_the_log_says_who_with_a_masked_phone(store, owner):
    membership = invite_member(store=store, asker=owner, phone="98123 00011", role="staff")
    assert membership.user.phone == "+919812300011" and membership.invited_by == store.owner
    assert store_role(store=store, user=membership.user) == Role.STAFF
    entry = AuditEntry.objects.get(store=store)
    assert (entry.field, entry.subject, entry.old_value, entry.new_value) == (
        "staff",
        "******0011",
        "",
        "staff",
    )
    assert (entry.actor_kind, entry.actor, entry.actor_detail) == ("member", "******5601", "owner")


def test_an_existing_merchant_can_help_another_store_and_keeps_their_own(store, other_store, owner):
    invite_member(store=store, asker=owner, phone=other_store.owner.phone, role="manager")
    assert store_role(store=store, user=other_store.owner) == Role.MANAGER
    assert store_role(store=other_store, user=other_store.owner) == Role.OWNER


@pytest.mark.parametrize(
    "phone, role, status, words",
    [
        ("+919812345601", "staff", 400, "owner's own number"),
        ("12345", "staff", 400, "valid mobile number"),
        ("98123 00011", "owner", 400, "Choose a role"),
        ("98123 00011", "superuser", 400, "Choose a role"),
    ],
)
def test_bad_invites_are_refused_with_a_reason_and_change_nothing(store, owner, phone, role, status, words):
    message = refused(lambda: invite_member(store=store, asker=owner, phone=phone, role=role), status)
    assert words in message
    assert not Membership.objects.exists() and not AuditEntry.objects.exists()


def test_a_phone_already_on_the_staff_is_refused(store, owner):
    invite_member(store=store, asker=owner, phone="98123 00011", role="staff")
    message = refused(
        lambda: invite_member(store=store, asker=owner, phone="+91 98123 00011", role="admin"), 400
    )
    assert "already on the staff" in message
    assert Membership.objects.get().role == "staff" and AuditEntry.objects.count() == 1


def test_an_admin_manages_managers_and_staff_but_not_admins(store):
    admin = member(store, "+919812300021", Role.ADMIN)
    other_admin = member(store, "+919812300022", Role.ADMIN)
    invite_member(store=store, asker=admin, phone="98123 00023", role="staff")
    message = refused(lambda: invite_member(store=store, asker=admin, phone="98123 00024", role="admin"), 403)
    assert "Only the store's owner can give or change the role Admin" in message
    refused(lambda: remove_member(store=store, asker=admin, user_id=other_admin.user.pk), 403)
    refused(
        lambda: change_member_role(store=store, asker=admin, user_id=other_admin.user.pk, role="staff"), 403
    )
    assert Membership.objects.get(user=other_admin.user).role == "admin"


def test_a_manager_cannot_make_anyone_admin_nor_invite(store):
    manager = member(store, "+919812300031", Role.MANAGER)
    helper = member(store, "+919812300032", Role.STAFF)
    message = refused(
        lambda: change_member_role(store=store, asker=manager, user_id=helper.user.pk, role="admin"), 403
    )
    assert "Only the owner or an Admin can manage the store's staff." in message
    refused(lambda: invite_member(store=store, asker=manager, phone="98123 00033", role="staff"), 403)
    assert Membership.objects.get(user=helper.user).role == "staff" and not AuditEntry.objects.exists()


def test_nobody_changes_or_removes_the_owner_and_the_owner_cannot_remove_themselves(store, owner):
    admin = member(store, "+919812300041", Role.ADMIN)
    assert "cannot be removed" in refused(
        lambda: change_member_role(store=store, asker=admin, user_id=store.owner_id, role="staff"), 403
    )
    assert "only owner" in refused(
        lambda: remove_member(store=store, asker=owner, user_id=store.owner_id), 403
    )
    assert store_role(store=store, user=store.owner) == Role.OWNER


def test_a_member_may_leave_and_their_tokens_stop_working(store, owner):
    helper = member(store, "+919812300051", Role.STAFF)
    _, raw = create_api_token(
        store=store, name="phone", scopes=["orders:read"], created_by=helper.user, role=Role.STAFF
    )
    remove_member(store=store, asker=helper, user_id=helper.user.pk)
    assert not Membership.objects.exists() and authenticate_api_token(raw) is None
    assert AuditEntry.objects.get().old_value == "staff"


def test_lowering_a_role_revokes_the_tokens_above_it_and_keeps_the_others(store, owner):
    helper = member(store, "+919812300061", Role.MANAGER)
    catalog = create_api_token(
        store=store, name="sync", scopes=["catalog:write"], created_by=helper.user, role=Role.MANAGER
    )[0]
    orders = create_api_token(
        store=store, name="orders", scopes=["orders:read"], created_by=helper.user, role=Role.STAFF
    )[0]
    change_member_role(store=store, asker=owner, user_id=helper.user.pk, role="staff")
    assert not ApiToken.objects.get(pk=catalog.pk).is_active and ApiToken.objects.get(pk=orders.pk).is_active
    entry = AuditEntry.objects.get()
    assert (entry.old_value, entry.new_value) == ("manager", "staff")


def test_a_staff_member_cannot_make_a_token_that_edits_products(store):
    helper = member(store, "+919812300071", Role.STAFF)
    with pytest.raises(PermissionDenied) as error:
        create_api_token(
            store=store, name="sync", scopes=["catalog:write"], created_by=helper.user, role=Role.STAFF
        )
    assert "catalog:write" in str(error.value) and not ApiToken.objects.exists()


def test_someone_elses_store_member_is_not_found(store, owner):
    other = make_store("+919812345602", "bala-store")
    outsider = member(other, "+919812300081", Role.STAFF)
    refused(lambda: remove_member(store=store, asker=owner, user_id=outsider.user.pk), 404)
    assert Membership.objects.filter(store=other).exists()
