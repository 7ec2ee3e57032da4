"""Reads of accounts data used by more than one caller."""

from django.db.models import QuerySet

from .models import AuditEntry, Membership


def store_audit_trail(*, store, limit: int = 50) -> QuerySet[AuditEntry]:
    """The store's latest audit entries, newest first."""
    return AuditEntry.objects.filter(store=store).order_by("-created_at", "-id")[:limit]


def store_members(*, store) -> QuerySet[Membership]:
    """The store's staff (the owner is not a membership), with their phones and who invited them."""
    return (
        Membership.objects.filter(store=store)
        .select_related("user", "invited_by")
        .order_by("created_at", "user_id")
    )
