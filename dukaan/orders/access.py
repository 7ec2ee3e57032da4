"""Which part of a store's work (accounts.roles.Access) moving an order to a status is."""

from dukaan.accounts.roles import Access

from .models import Order

# Moving an order along is fulfilment, for anyone who handles orders; cancelling and returns to origin
# give stock and money back, so they need a role that handles payments.
FULFILMENT = frozenset(
    {Order.Status.PLACED, Order.Status.ACCEPTED, Order.Status.SHIPPED, Order.Status.DELIVERED}
)


def status_access(status: str) -> Access:
    return Access.ORDERS if status in FULFILMENT else Access.ORDER_MONEY
