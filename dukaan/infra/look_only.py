"""Admin pages staff may only look at: every change goes through an app's services, which write the
outbox rows, the audit entries and the stock changes that an edit in the admin would skip."""


class LookOnly:
    """Mix into a ModelAdmin or an inline before Django's class: no add, change or delete."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
