"""Admin for merchants (users keyed by phone) and read-only views of login codes, API tokens, the
audit trail of payment details and the stores' staff (memberships)."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext

from dukaan.infra.look_only import LookOnly

from . import audit
from .models import ApiToken, AuditEntry, LoginCode, Membership, User
from .services import LoginRefused, normalize_phone


class _PhoneCleaningMixin:
    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except LoginRefused as refused:
            raise forms.ValidationError(refused.message) from refused


class UserCreationForm(_PhoneCleaningMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("phone", "name")


class UserEditForm(_PhoneCleaningMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("phone", "password")}),
        ("Profile", {"fields": ("name", "stores_helped")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    # Merchants log in by SMS code; a password is only for staff who use this admin.
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("phone", "name", "usable_password", "password1", "password2")},
        ),
    )
    readonly_fields = ("stores_helped",)
    list_display = ("phone", "name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("phone", "name")
    ordering = ("-date_joined",)

    @admin.display(description="Staff of")
    def stores_helped(self, user: User) -> str:
        """The stores this phone helps run, linking to their memberships."""
        if user.pk is None:
            return "-"
        roles = Membership.objects.filter(user=user).select_related("store").order_by("store__slug")
        listing = reverse("admin:accounts_membership_changelist") + "?" + urlencode({"q": user.phone})
        return format_html(
            '{} (<a href="{}">memberships</a>)',
            ", ".join(f"{member.store.slug}: {member.get_role_display()}" for member in roles) or "-",
            listing,
        )

    def get_urls(self):
        # Memberships have a composite primary key, which Django's admin cannot register (Django 5.2):
        # their read-only list lives here instead, /admin/accounts/user/memberships/.
        memberships = path(
            "memberships/",
            self.admin_site.admin_view(self.memberships_view),
            name="accounts_membership_changelist",
        )
        return [memberships, *super().get_urls()]

    def memberships_view(self, request):
        """Who is on which store's staff, newest first; searched by a phone (the member's or the
        inviter's) or a store's link."""
        if not request.user.has_perm("accounts.view_membership"):
            raise PermissionDenied
        query = request.GET.get("q", "").strip()[:64]
        rows = Membership.objects.select_related("store", "user", "invited_by").order_by("-created_at")
        if query:
            rows = rows.filter(
                Q(user__phone__icontains=query)
                | Q(invited_by__phone__icontains=query)
                | Q(store__slug__icontains=query)
            )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Store staff"),
            "page": Paginator(rows, MEMBERSHIPS_PER_PAGE).get_page(request.GET.get("p")),
            "query": query,
        }
        return TemplateResponse(request, "admin/accounts/memberships.html", context)


MEMBERSHIPS_PER_PAGE = 100


@admin.register(LoginCode)
class LoginCodeAdmin(LookOnly, admin.ModelAdmin):
    """For answering "I never got my code": when codes were asked for, from where, and what became of them."""

    list_display = ("phone", "ip", "created_at", "expires_at", "failed_attempts", "used_at")
    search_fields = ("phone", "ip")
    list_filter = (("used_at", admin.EmptyFieldListFilter),)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    # The hash is left out: it is useless to read and should not be copied around.
    fields = ("phone", "ip", "created_at", "expires_at", "failed_attempts", "used_at")
    readonly_fields = fields


@admin.register(ApiToken)
class ApiTokenAdmin(LookOnly, admin.ModelAdmin):
    list_display = ("name", "prefix", "store", "scopes", "created_at", "last_used_at", "revoked_at")
    search_fields = ("name", "prefix", "store__slug")
    list_select_related = ("store",)
    # The hash is left out, as for login codes.
    fields = ("store", "name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields


@admin.register(AuditEntry)
class AuditEntryAdmin(LookOnly, admin.ModelAdmin):
    list_display = ("created_at", "store", "what", "old", "new", "by", "owner_alerted_at")
    search_fields = ("store__slug", "actor")
    list_select_related = ("store",)
    date_hierarchy = "created_at"
    fields = (
        "store",
        "created_at",
        "field",
        "subject",
        "old_value",
        "new_value",
        "actor_kind",
        "actor",
        "actor_detail",
        "owner_alerted_at",
    )
    readonly_fields = fields

    # The list in the staff member's language, as the owner's page (accounts/audit.py).
    @admin.display(description="what")
    def what(self, entry: AuditEntry) -> str:
        return audit.what_text(entry)

    @admin.display(description="old value")
    def old(self, entry: AuditEntry) -> str:
        return audit.value_text(entry, entry.old_value)

    @admin.display(description="new value")
    def new(self, entry: AuditEntry) -> str:
        return audit.value_text(entry, entry.new_value)

    @admin.display(description="by")
    def by(self, entry: AuditEntry) -> str:
        return audit.actor_text(entry)
