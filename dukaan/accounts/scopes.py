"""What an API token may do: the scopes, declared once, each with the sentence the merchant reads."""

from enum import StrEnum

from django.utils.translation import gettext_lazy


class Scope(StrEnum):
    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"
    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    STORE_WRITE = "store:write"

    @property
    def description(self) -> str:
        return str(DESCRIPTIONS[self])


DESCRIPTIONS = {
    Scope.CATALOG_READ: gettext_lazy("Read categories and products, hidden ones included."),
    Scope.CATALOG_WRITE: gettext_lazy(
        "Create, change and delete categories and products, their photos and stock."
    ),
    Scope.ORDERS_READ: gettext_lazy("Read orders, with the buyers' names, phone numbers and addresses."),
    Scope.ORDERS_WRITE: gettext_lazy("Move orders along: accept, ship, deliver or cancel them."),
    Scope.STORE_WRITE: gettext_lazy(
        "Change the store's settings, including the UPI ID and WhatsApp number buyers pay and write to."
    ),
}

# What tokens made before scopes existed were given (migration accounts 0005), and what a token gets
# when its maker names no scopes: everything they could do before but the store's payment details.
STANDARD_SCOPES = (Scope.CATALOG_READ, Scope.CATALOG_WRITE, Scope.ORDERS_READ, Scope.ORDERS_WRITE)
