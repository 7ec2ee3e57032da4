"""UPI orders and the statement lines a bank prints for their payments, for the matching tests."""

from decimal import Decimal

from dukaan.conftest import change_store
from dukaan.orders.models import Order
from dukaan.orders.tests.conftest import line, make_product, order


def takes_upi(store):
    change_store(store, upi_id=f"{store.slug.replace('-', '')}@okaxis")
    return store


def upi_order(store, key: str, price: str = "549.00") -> Order:
    product = make_product(store, f"Kurta {key}", price)
    return order(store, [line(product)], key=key, payment_method="upi")


def credit(
    placed: Order, *, utr: str = "623456789012", amount: Decimal | None = None, ref: bool = True
) -> str:
    """A statement line as a bank prints the buyer's UPI payment of `placed`."""
    note = f"SHOP ORDER {placed.number} REF {placed.pay_reference}" if ref else "PAYMENT"
    paid = placed.upi_amount if amount is None else amount
    return f"05-12-2026 UPI/CR/{utr}/RAVI KUMAR/SBIN/okaxis/{note} {paid:,} Cr\n"
