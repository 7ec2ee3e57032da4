"""Admin for merchants (users keyed by phone) and read-only views of login codes, API tokens and the
audit trail of payment details."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from dukaan.infra.look_only import LookOnly

from . import audit
from .models import ApiToken, AuditEntry, LoginCode, User
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
        ("Profile", {"fields": ("name",)}),
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
    list_display = ("phone", "name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("phone", "name")
    ordering = ("-date_joined",)


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
