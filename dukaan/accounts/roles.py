"""Who may do what in a store: the roles, what each may reach, and the API scopes each may give a token.

Declared once here; the dashboard's views and the API's operations each name the `Access` they need.
"""

from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, gettext_noop

from .scopes import Scope


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MANAGER = "manager"
    STAFF = "staff"

    @property
    def label(self) -> Promise:
        """The role's name in the language of the page (Owner, मालिक)."""
        return gettext_lazy(LABELS[self])

    @property
    def rank(self) -> int:
        return RANKS[self]

    @property
    def access(self) -> frozenset["Access"]:
        return ACCESS[self]


LABELS = {
    Role.OWNER: gettext_noop("Owner"),
    Role.ADMIN: gettext_noop("Admin"),
    Role.MANAGER: gettext_noop("Manager"),
    Role.STAFF: gettext_noop("Staff"),
}
RANKS = {Role.OWNER: 4, Role.ADMIN: 3, Role.MANAGER: 2, Role.STAFF: 1}

# The roles a membership can have; the owner is the store's own owner, never a membership.
MEMBER_ROLES = (Role.ADMIN, Role.MANAGER, Role.STAFF)


class Access(StrEnum):
    """A part of the store a page or an API operation belongs to."""

    DASHBOARD = "dashboard"  # the dashboard itself, the store switcher, one's own API tokens
    ORDERS = "orders"  # see orders and their invoices, accept, ship, mark delivered
    ORDER_MONEY = "order-money"  # cancel, returns, payments, refunds, UPI matching, unfinished checkouts
    CATALOG = "catalog"  # products, categories, prices, stock, coupons, offers, search synonyms
    SETTINGS = "settings"  # store settings but payment details, delivery, tax, policies, every API token
    STAFF = "staff"  # the staff page (Admins invite and change Managers and Staff only)
    OWNER = "owner"  # payment details (UPI ID, WhatsApp number) and the audit log


ACCESS: dict[Role, frozenset[Access]] = {
    Role.OWNER: frozenset(Access),
    Role.ADMIN: frozenset(Access) - {Access.OWNER},
    Role.MANAGER: frozenset({Access.DASHBOARD, Access.ORDERS, Access.ORDER_MONEY, Access.CATALOG}),
    Role.STAFF: frozenset({Access.DASHBOARD, Access.ORDERS}),
}

# The scopes a token made by each role may have.
SCOPES: dict[Role, frozenset[Scope]] = {
    Role.OWNER: frozenset(Scope),
    Role.ADMIN: frozenset(Scope),
    Role.MANAGER: frozenset({Scope.CATALOG_READ, Scope.CATALOG_WRITE, Scope.ORDERS_READ, Scope.ORDERS_WRITE}),
    Role.STAFF: frozenset({Scope.ORDERS_READ, Scope.ORDERS_WRITE}),
}

# What an API operation belongs to when it names only its scope.
SCOPE_ACCESS = {
    Scope.CATALOG_READ: Access.CATALOG,
    Scope.CATALOG_WRITE: Access.CATALOG,
    Scope.ORDERS_READ: Access.ORDERS,
    Scope.ORDERS_WRITE: Access.ORDERS,
    Scope.STORE_WRITE: Access.SETTINGS,
}

# Why a role is refused, one whole sentence per part of the store.
REFUSALS = {
    Access.DASHBOARD: gettext_lazy("You are not on the staff of this store."),
    Access.ORDERS: gettext_lazy("Your role in this store does not include its orders."),
    Access.ORDER_MONEY: gettext_lazy(
        "Only the owner, an Admin or a Manager can cancel orders, record payments "
        "and refunds, or see unfinished checkouts."
    ),
    Access.CATALOG: gettext_lazy(
        "Only the owner, an Admin or a Manager can change products, prices, stock, coupons and offers."
    ),
    Access.SETTINGS: gettext_lazy(
        "Only the owner or an Admin can change the store's settings, delivery, tax and API tokens."
    ),
    Access.STAFF: gettext_lazy("Only the owner or an Admin can manage the store's staff."),
    Access.OWNER: gettext_lazy(
        "Only the store's owner can change its payment details or read its audit log."
    ),
}
ASK_THE_OWNER = gettext_lazy("Ask the store's owner if you need this.")


def may(role: Role, access: Access) -> bool:
    return access in ACCESS[role]


def refusal(access: Access) -> str:
    return f"{REFUSALS[access]} {ASK_THE_OWNER}"
