"""Reads of accounts data used by more than one caller."""

from django.db.models import QuerySet

from .models import AuditEntry


def store_audit_trail(*, store, limit: int = 50) -> QuerySet[AuditEntry]:
    """The store's latest audit entries, newest first."""
    return AuditEntry.objects.filter(store=store).order_by("-created_at", "-id")[:limit]
