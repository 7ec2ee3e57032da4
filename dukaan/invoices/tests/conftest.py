"""Orders as checkout stores them (money fields set directly, sums consistent) for the invoices' tests."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from dukaan.orders.models import Order, OrderCharge, OrderDiscount, OrderLine

IST = ZoneInfo("Asia/Kolkata")
GSTIN = "29AABCU9603R1ZJ"
ACCEPTED = datetime(2026, 12, 6, 11, 30, tzinfo=IST)


def d(value: str) -> Decimal:
    return Decimal(value)


def make_order(
    store,
    *,
    accepted_at: datetime | None = ACCEPTED,
    gstin: str = GSTIN,
    delivery_state: str = "29",
    status: str | None = None,
) -> Order:
    """Two kurtas at 499.00 with 10% off (SAVE10), 5% GST, and 40.00 delivery at 18%: 938.20 in all.

    Registered (`gstin`): CGST + SGST when `delivery_state` is the store's "29", IGST otherwise; prices
    include tax. Unregistered (gstin=""): no tax, the taxable value is what the buyer pays.
    """
    number = Order.objects.filter(store=store).count() + 1
    intra = delivery_state == "29"
    registered = bool(gstin)

    def taxes(taxable: str, half: str) -> dict:
        if not registered:
            return {}
        split = {"cgst": d(half), "sgst": d(half)} if intra else {"igst": d(half) * 2}
        return {"taxable_value": d(taxable), **split}

    line_taxes = taxes("855.42", "21.39") or {"taxable_value": d("898.20")}
    charge_taxes = taxes("33.90", "3.05") or {"taxable_value": d("40.00")}
    tax = {"cgst": d("24.44"), "sgst": d("24.44")} if intra else {"igst": d("48.88")}
    order = Order.objects.create(
        store=store,
        number=number,
        idempotency_key=f"key-{number}",
        status=status or (Order.Status.ACCEPTED if accepted_at else Order.Status.PLACED),
        payment_method=Order.PaymentMethod.CASH_ON_DELIVERY,
        buyer_name="Ravi Kumar",
        buyer_phone="+919812300001",
        address="14 MG Road, Indiranagar\nBengaluru",
        pin_code="560038" if intra else "400001",
        currency="INR",
        subtotal=d("998.00"),
        discount_total=d("99.80"),
        delivery_fee=d("40.00"),
        total=d("938.20"),
        coupon_code="SAVE10",
        gstin=gstin,
        seller_state="29" if registered else "",
        delivery_state=delivery_state if registered else "",
        accepted_at=accepted_at,
        **(tax if registered else {}),
    )
    OrderLine.objects.create(
        store=store,
        order=order,
        name="Cotton kurta",
        variant_label="Size: M",
        unit_price=d("499.00"),
        quantity=2,
        line_total=d("998.00"),
        discount=d("99.80"),
        hsn_code="6211" if registered else "",
        gst_rate=d("5") if registered else d("0"),
        **line_taxes,
    )
    OrderCharge.objects.create(
        store=store,
        order=order,
        kind=OrderCharge.Kind.DELIVERY,
        amount=d("40.00"),
        hsn_code="9965" if registered else "",
        gst_rate=d("18") if registered else d("0"),
        **charge_taxes,
    )
    OrderDiscount.objects.create(
        store=store,
        order=order,
        source=OrderDiscount.Source.COUPON,
        source_id=1,
        label="SAVE10",
        amount=d("99.80"),
    )
    return order
