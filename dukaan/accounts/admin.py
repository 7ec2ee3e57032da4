"""Admin for merchants (users keyed by phone) and a read-only view of login codes."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from .models import LoginCode, User
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
class LoginCodeAdmin(admin.ModelAdmin):
    """For answering "I never got my code": when codes were asked for, from where, and what became of them."""

    list_display = ("phone", "ip", "created_at", "expires_at", "failed_attempts", "used_at")
    search_fields = ("phone", "ip")
    list_filter = (("used_at", admin.EmptyFieldListFilter),)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    # The hash is left out: it is useless to read and should not be copied around.
    fields = ("phone", "ip", "created_at", "expires_at", "failed_attempts", "used_at")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
