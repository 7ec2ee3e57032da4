"""Store → Staff: the people who help run the store, their roles, inviting, changing and removing them,
handing the store to an Admin; and the store switcher for someone who helps run several stores
(docs/staff.md)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from dukaan.accounts.members import (
    Asker,
    MemberRefused,
    change_member_role,
    hand_over_store,
    hand_over_target,
    invite_member,
    remove_member,
)
from dukaan.accounts.roles import MEMBER_ROLES, Access, Role
from dukaan.accounts.selectors import store_members
from dukaan.accounts.services import format_phone
from dukaan.infra.integers import request_int

from .views import SESSION_STORE, store_required

ROLE_CHOICES = [(role.value, role.label) for role in MEMBER_ROLES]


class InviteForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Mobile number"),
        max_length=32,
        help_text=gettext_lazy("For example +91 98123 45678."),
    )
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=ROLE_CHOICES, initial=Role.STAFF)


def _page(request, form=None, error: str = "", status: int = 200):
    # An Admin may give Managers' and Staff's roles only: the owner alone gives Admin.
    choices = [(value, label) for value, label in ROLE_CHOICES if Role(value).rank < request.role.rank]
    form = form or InviteForm(initial={"role": Role.STAFF})
    form.fields["role"].choices = choices
    members = [(member, format_phone(member.user.phone)) for member in store_members(store=request.store)]
    return render(
        request,
        "dashboard/staff.html",
        {
            "store": request.store,
            "owner_phone": format_phone(request.store.owner.phone),
            "members": members,
            "form": form,
            "choices": choices,
            "manageable": [value for value, _ in choices],
            "is_owner": request.role == Role.OWNER,
            "error": error,
        },
        status=status,
    )


def _asker(request) -> Asker:
    return Asker(user=request.user, role=request.role)


@store_required(Access.STAFF)
def staff(request):
    if request.method != "POST":
        return _page(request)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _page(request, form, gettext("Enter a mobile number and choose a role."), status=400)
    try:
        invite_member(
            store=request.store,
            asker=_asker(request),
            phone=form.cleaned_data["phone"],
            role=form.cleaned_data["role"],
        )
    except MemberRefused as refused:
        return _page(request, form, refused.message, status=refused.status)
    messages.success(
        request,
        gettext(
            "Invited. They log in here with their mobile number and the SMS code, and find your store there."
        ),
    )
    return redirect("dashboard:staff")


@require_POST
@store_required(Access.STAFF)
def staff_role(request, user_id: int):
    try:
        change_member_role(
            store=request.store, asker=_asker(request), user_id=user_id, role=request.POST.get("role", "")
        )
    except MemberRefused as refused:
        return _page(request, error=refused.message, status=refused.status)
    messages.success(request, gettext("Role changed."))
    return redirect("dashboard:staff")


@require_POST
@store_required(Access.STAFF)
def staff_remove(request, user_id: int):
    try:
        remove_member(store=request.store, asker=_asker(request), user_id=user_id)
    except MemberRefused as refused:
        return _page(request, error=refused.message, status=refused.status)
    messages.success(
        request, gettext("Removed from the staff. The API tokens they made for this store are revoked.")
    )
    return redirect("dashboard:staff")


@store_required(Access.STAFF)
def staff_owner(request, user_id: int):
    """Make owner: the owner hands the store to one of its Admins after typing the store's link."""
    asker = _asker(request)
    try:
        target = hand_over_target(store=request.store, asker=asker, user_id=user_id)
    except MemberRefused as refused:
        return _page(request, error=refused.message, status=refused.status)
    if request.method != "POST":
        return _hand_over_page(request, target)
    try:
        hand_over_store(
            store=request.store, asker=asker, user_id=user_id, confirmation=request.POST.get("confirm", "")
        )
    except MemberRefused as refused:
        return _hand_over_page(request, target, refused.message, refused.status)
    messages.success(
        request,
        gettext("%(phone)s is now the owner of %(store)s. You stay on its staff as an Admin.")
        % {"phone": format_phone(target.user.phone), "store": request.store.name},
    )
    return redirect("dashboard:staff")


def _hand_over_page(request, target, error: str = "", status: int = 200):
    return render(
        request,
        "dashboard/staff_owner.html",
        {"store": request.store, "phone": format_phone(target.user.phone), "error": error},
        status=status,
    )


@store_required(Access.DASHBOARD)
def stores(request):
    """The store switcher: every store the person may open; choosing one remembers it in the session."""
    if request.method == "POST":
        chosen = request_int(request.POST.get("store", ""))
        match = next((store for store, _ in request.stores if store.pk == chosen), None)
        if match is None:
            return render(
                request,
                "dashboard/stores.html",
                {"store": request.store, "error": gettext("Choose one of the stores listed here.")},
                status=400,
            )
        request.session[SESSION_STORE] = match.pk
        messages.success(request, gettext("You are now working in %(store)s.") % {"store": match.name})
        return redirect("dashboard:home")
    return render(request, "dashboard/stores.html", {"store": request.store, "error": ""})
