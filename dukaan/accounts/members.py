"""A store's staff: inviting a phone number with a role, changing the role, removing, handing the store
to an Admin; and which stores a person may open, with their role in each.

Every refusal is a `MemberRefused` with a sentence a person can act on and the HTTP status it maps to
(400: the input is wrong; 403: the person asking has no right to it). Nothing changes on a refusal.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from dukaan.events.outbox import emit
from dukaan.infra.logs import masked_phone

from . import events
from .audit import Actor
from .models import ApiToken, AuditEntry, Membership, User
from .roles import MEMBER_ROLES, Access, Role, may, refusal
from .services import LoginRefused, StoreRow, normalize_phone


class MemberRefused(Exception):
    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Asker:
    """Who asks for a change in a store, and their role there."""

    user: User
    role: Role

    @property
    def actor(self) -> Actor:
        return Actor.member(self.user, self.role)


def store_role(*, store: StoreRow, user: User) -> Role | None:
    """`user`'s role in `store`: Owner for its owner, a membership's role, or None."""
    if store.owner_id == user.pk:
        return Role.OWNER
    role = Membership.objects.filter(store=store, user=user).values_list("role", flat=True).first()
    return Role(role) if role else None


def record_change(
    *, store: StoreRow, actor: Actor, field: str, old: str, new: str, subject: str = ""
) -> AuditEntry:
    """One audit entry, values as they are (payment details go through record_payment_detail_changes,
    masked). `field` is one declared with audit.audited; a value that is a key (a status, a role) is
    stored as the key. Call it inside the change's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_change() must run in the change's transaction")
    return AuditEntry.objects.create(
        store=store,
        **actor.columns(),
        field=field[:40],
        subject=subject[:120],
        old_value=str(old)[:60],
        new_value=str(new)[:60],
    )


def _role(raw: str) -> Role:
    if raw not in {str(role) for role in MEMBER_ROLES}:
        raise MemberRefused(gettext("Choose a role: Admin, Manager or Staff."))
    return Role(raw)


def _check_may_manage(*, asker: Asker, role: Role) -> None:
    """The owner manages every role; an Admin only Managers and Staff; nobody else anyone."""
    if not may(asker.role, Access.STAFF):
        raise MemberRefused(refusal(Access.STAFF), status=403)
    if role.rank >= asker.role.rank:
        raise MemberRefused(
            gettext("Only the store's owner can give or change the role %(role)s. Ask the owner to do it.")
            % {"role": role.label},
            status=403,
        )


@transaction.atomic
def invite_member(*, store: StoreRow, asker: Asker, phone: str, role: str) -> Membership:
    """Give the person with `phone` (their account is made if they have none) `role` in `store`. They log
    in with the usual SMS code and find the store in their dashboard."""
    chosen = _role(role)
    try:
        phone = normalize_phone(phone)
    except LoginRefused as refused:
        raise MemberRefused(refused.message) from refused
    _check_may_manage(asker=asker, role=chosen)
    if phone == store.owner.phone:
        raise MemberRefused(gettext("That is the owner's own number: the owner already runs this store."))
    user = User.objects.filter(phone=phone).first() or User.objects.create_user(phone)
    already = gettext("That number is already on the staff. Change its role in the list instead.")
    if Membership.objects.filter(store=store, user=user).exists():
        raise MemberRefused(already)
    try:
        with transaction.atomic():
            membership = Membership.objects.create(store=store, user=user, role=chosen, invited_by=asker.user)
    except IntegrityError as error:  # invited twice at once
        raise MemberRefused(already) from error
    _record_staff_change(store=store, asker=asker, phone=phone, old="", new=chosen)
    # The notifier texts them once this commits, in the store's language.
    invited = events.StaffInvited(user_id=user.pk, role=str(chosen))
    emit(events.STAFF_INVITED, store_id=store.pk, data=invited)
    return membership


def _membership(store: StoreRow, user_id: int) -> Membership:
    membership = Membership.objects.select_for_update().filter(store=store, user_id=user_id).first()
    if membership is None:
        if user_id == store.owner_id:
            raise MemberRefused(
                gettext("The owner's role cannot be changed and the owner cannot be removed."), status=403
            )
        raise MemberRefused(gettext("That person is not on the staff of this store."), status=404)
    return membership


@transaction.atomic
def change_member_role(*, store: StoreRow, asker: Asker, user_id: int, role: str) -> Membership:
    chosen = _role(role)
    membership = _membership(store, user_id)
    current = Role(membership.role)
    _check_may_manage(asker=asker, role=current)
    _check_may_manage(asker=asker, role=chosen)
    if chosen == current:
        return membership
    membership.role = chosen
    membership.save(update_fields=["role"])
    if chosen.rank < current.rank:
        _revoke_tokens(store=store, user_id=user_id, above=chosen)
    _record_staff_change(store=store, asker=asker, phone=membership.user.phone, old=current, new=chosen)
    return membership


@transaction.atomic
def remove_member(*, store: StoreRow, asker: Asker, user_id: int) -> None:
    """Remove a member from the staff; the API tokens they made for the store are revoked with them.
    A member may always leave (remove themselves); the owner never can."""
    if user_id == store.owner_id and asker.user.pk == user_id:
        raise MemberRefused(
            gettext(
                "You are the store's only owner, so you cannot remove yourself: a store always has its owner."
            ),
            status=403,
        )
    membership = _membership(store, user_id)
    current = Role(membership.role)
    if asker.user.pk != user_id:
        _check_may_manage(asker=asker, role=current)
    phone = membership.user.phone
    membership.delete()
    _revoke_tokens(store=store, user_id=user_id, above=None)
    _record_staff_change(store=store, asker=asker, phone=phone, old=current, new="")


def hand_over_target(*, store: StoreRow, asker: Asker, user_id: int) -> Membership:
    """The Admin membership of `user_id`, to whom the owner may hand `store`; MemberRefused otherwise."""
    if store.owner_id != asker.user.pk:
        raise MemberRefused(gettext("Only the store's owner can hand it over to someone else."), status=403)
    if user_id == store.owner_id:
        raise MemberRefused(gettext("You own this store already: choose one of its Admins."))
    membership = Membership.objects.select_related("user").filter(store=store, user_id=user_id).first()
    if membership is None:
        raise MemberRefused(gettext("That person is not on the staff of this store."), status=404)
    if membership.role != Role.ADMIN:
        raise MemberRefused(
            gettext("Only an Admin can become the owner: make them an Admin first, then hand the store over.")
        )
    if type(store).objects.filter(owner_id=user_id).exists():  # Store.owner is one to one
        raise MemberRefused(
            gettext("That number owns a store of its own already, and a number can own only one store.")
        )
    return membership


@transaction.atomic
def hand_over_store(*, store: StoreRow, asker: Asker, user_id: int, confirmation: str) -> StoreRow:
    """The owner makes the Admin `user_id` the store's owner, confirming by typing the store's link
    (`confirmation`); returns the store. The old owner stays on the staff as an Admin, and the API
    tokens they made as owner keep working as an Admin's; the payment details, the audit log and their
    alerts are the new owner's from now on. Both are texted once this commits."""
    # Locked and read afresh: of two hand-overs at once, the second finds its asker no longer the owner.
    store = type(store).objects.select_for_update().get(pk=store.pk)
    membership = hand_over_target(store=store, asker=asker, user_id=user_id)
    if confirmation.strip().lower() != store.slug:
        raise MemberRefused(
            gettext("That is not the store's link: type it as shown to confirm. Nothing was changed.")
        )
    new_owner = membership.user
    membership.delete()
    Membership.objects.create(store=store, user=asker.user, role=Role.ADMIN, invited_by=new_owner)
    # Tokens made as owner (and those made before roles, which were the owner's): an Admin's from now on.
    ApiToken.objects.filter(store=store, role=Role.OWNER).update(role=Role.ADMIN)
    store.owner = new_owner
    store.save(update_fields=["owner"])
    old, new = masked_phone(asker.user.phone), masked_phone(new_owner.phone)
    record_change(store=store, actor=asker.actor, field="owner", old=old, new=new)
    handed = events.StoreHandedOver(from_user_id=asker.user.pk, to_user_id=user_id)
    emit(events.STORE_HANDED_OVER, store_id=store.pk, data=handed)
    return store


def _record_staff_change(*, store: StoreRow, asker: Asker, phone: str, old: str, new: str) -> None:
    """The audit log's line for a member's role (its value: the reader sees its name in their language)."""
    record_change(
        store=store, actor=asker.actor, field="staff", subject=masked_phone(phone), old=old, new=new
    )


def _revoke_tokens(*, store: StoreRow, user_id: int, above: Role | None) -> int:
    """Revoke the live tokens `user_id` made for `store` (only those whose role ranks above `above`)."""
    live = ApiToken.objects.filter(store=store, created_by_id=user_id, revoked_at__isnull=True)
    if above is not None:
        live = live.filter(role__in=[role for role in Role if role.rank > above.rank])
    return live.update(revoked_at=timezone.now())
