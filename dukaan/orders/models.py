"""Orders as placed: copied names and prices, exact totals, a state, and payments against them."""

import secrets
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dukaan.catalog.addresses import store_page_url
from dukaan.catalog.models import Product, ProductVariant, Store


def new_public_token() -> str:
    return secrets.token_urlsafe(16)


# No 0/O or 1/I: the buyer may read the reference out or type it into the UPI note by hand.
PAY_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_pay_reference() -> str:
    return "".join(secrets.choice(PAY_REFERENCE_ALPHABET) for _ in range(8))


class Order(models.Model):
    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("Awaiting confirmation")  # a COD order the buyer has yet to confirm
        PLACED = "placed", _("Placed")
        ACCEPTED = "accepted", _("Accepted")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        RETURNED = "returned", _("Returned to origin")  # RTO: the courier brought it back undelivered
        CANCELLED = "cancelled", _("Cancelled")

    class PaymentMethod(models.TextChoices):
        CASH_ON_DELIVERY = "cod", _("Cash on delivery")
        UPI = "upi", _("UPI")
        ONLINE = "online", _("Online payment")

    class PaymentStatus(models.TextChoices):
        PENDING = "pending", _("Pending")
        PARTLY_PAID = "partly_paid", _("Partly paid")
        PAID = "paid", _("Paid")
        REFUNDED = "refunded", _("Refunded")  # everything paid was paid back
        FAILED = "failed", _("Failed")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders")
    # Set by place_order as its last write before commit (the store's counter row stays locked only
    # that long): NULL only inside that transaction, so the code reads it as an int.
    number: int = models.PositiveIntegerField(  # type: ignore[assignment]
        null=True, help_text="1, 2, 3… within the store"
    )
    # The buyer's status link /o/<public_token>/: unguessable, so no login is needed to see it.
    public_token = models.CharField(max_length=32, unique=True, default=new_public_token, editable=False)
    # The key the checkout form carried: a double submit or a retry finds this order again.
    idempotency_key = models.CharField(max_length=64)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLACED)
    payment_method = models.CharField(max_length=8, choices=PaymentMethod.choices)
    # Derived from amount_paid and amount_refunded by orders.services.record_money, never set by hand.
    payment_status = models.CharField(
        max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    amount_paid = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    amount_refunded = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # What a payment for this order carries in its note (UPI) so a bank statement line finds it again.
    pay_reference = models.CharField(max_length=8, default=new_pay_reference)
    # What the buyer is asked to pay by UPI now: the total plus a few paise no other open UPI order of
    # the store asks for, so a statement line's amount alone names the order. None: nothing asked by UPI.
    upi_amount = models.DecimalField("UPI amount", max_digits=14, decimal_places=2, null=True, blank=True)
    # A COD order awaiting the buyer's confirmation is cancelled at this time (the store's confirmation
    # hours after placing); None when the order never awaited one.
    confirm_by = models.DateTimeField(null=True, blank=True)
    # Part-prepaid COD: paid by UPI to confirm the order, the rest on delivery; 0 = none.
    cod_advance = models.DecimalField("COD advance", max_digits=14, decimal_places=2, default=0)
    buyer_name = models.CharField(max_length=80)
    buyer_phone = models.CharField(max_length=16, help_text="E.164")
    address = models.TextField(max_length=500)
    pin_code = models.CharField("PIN code", max_length=6)
    currency = models.CharField(max_length=3)
    # The money, priced once by orders.pricing when the order is placed and never recomputed: every
    # page, message, invoice and report shows these. total = the lines' and charges' gross amounts.
    subtotal = models.DecimalField(max_digits=14, decimal_places=2, help_text="The lines at their prices")
    discount_total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    delivery_fee = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    cod_fee = models.DecimalField("COD fee", max_digits=12, decimal_places=2, default=0)
    cgst = models.DecimalField("CGST", max_digits=14, decimal_places=2, default=0)
    sgst = models.DecimalField("SGST", max_digits=14, decimal_places=2, default=0)
    igst = models.DecimalField("IGST", max_digits=14, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    coupon_code = models.CharField(max_length=20, blank=True)
    delivery_zone = models.CharField(max_length=60, blank=True)
    # The seller's GST registration when the order was placed ("" = not registered: no GST charged).
    gstin = models.CharField("GSTIN", max_length=15, blank=True)
    seller_state = models.CharField(max_length=2, blank=True, help_text="GST state code of the store")
    delivery_state = models.CharField(max_length=2, blank=True, help_text="GST state code of the PIN code")
    prices_include_tax = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="order_number_unique_per_store"),
            models.UniqueConstraint(fields=["store", "idempotency_key"], name="order_idempotency_key_unique"),
            models.UniqueConstraint(fields=["store", "pay_reference"], name="order_pay_reference_unique"),
        ]
        indexes = [
            models.Index(fields=["store", "status", "-created_at"], name="order_store_listing"),
            # The day's orders and revenue, and the unfiltered list, read by store and time alone.
            models.Index(fields=["store", "-created_at"], name="order_store_recent"),
            # place_order's search for a free UPI amount, and statement matching by amount.
            models.Index(fields=["store", "upi_amount"], name="order_store_upi_amount"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} at {self.store.slug}"

    @property
    def amount_due(self) -> Decimal:
        """What the buyer has still to pay: the total less what was paid (a refund does not make it due)."""
        return max(self.total - self.amount_paid, Decimal(0))

    @property
    def amount_asked(self) -> Decimal:
        """What the buyer is asked to pay now: the UPI amount (a few paise that tell open orders apart)
        until money comes in, then what is due."""
        return self.upi_amount or self.amount_due

    @property
    def asks_upi(self) -> bool:
        """Does the order still ask for money by UPI? The same as `OPEN_UPI`, for an order in hand."""
        return (
            self.upi_amount is not None
            and self.payment_status in OPEN_PAYMENT
            and self.status not in CLOSED_STATUS
        )


# An order that still asks for money by UPI: it has a UPI amount and is neither paid nor cancelled
# nor returned. Its amount is taken (no other order may ask for it) and a statement line may pay it.
OPEN_PAYMENT = (Order.PaymentStatus.PENDING, Order.PaymentStatus.PARTLY_PAID)
CLOSED_STATUS = (Order.Status.CANCELLED, Order.Status.RETURNED)
OPEN_UPI = Q(upi_amount__isnull=False, payment_status__in=OPEN_PAYMENT) & ~Q(status__in=CLOSED_STATUS)


class StockSource(models.TextChoices):
    NONE = "", "Unlimited"
    PRODUCT = "product", "Product"
    VARIANT = "variant", "Variant"


class Taxed(models.Model):
    """An amount charged on an order with its GST: gross = taxable_value + cgst + sgst + igst."""

    hsn_code = models.CharField("HSN/SAC code", max_length=8, blank=True)
    gst_rate = models.DecimalField("GST rate (%)", max_digits=5, decimal_places=2, default=0)
    taxable_value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    cgst = models.DecimalField("CGST", max_digits=14, decimal_places=2, default=0)
    sgst = models.DecimalField("SGST", max_digits=14, decimal_places=2, default=0)
    igst = models.DecimalField("IGST", max_digits=14, decimal_places=2, default=0)

    class Meta:
        abstract = True

    @property
    def tax(self):
        return self.cgst + self.sgst + self.igst

    @property
    def gross(self):
        return self.taxable_value + self.tax


class OrderLine(Taxed):
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    # Kept for reference; the order itself never changes when the product does or is deleted.
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, related_name="+")
    variant = models.ForeignKey(ProductVariant, on_delete=models.SET_NULL, null=True, related_name="+")
    name = models.CharField(max_length=120)
    variant_label = models.CharField(max_length=200, blank=True)
    sku = models.CharField(max_length=64, blank=True)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=14, decimal_places=2, help_text="unit price × quantity")
    discount = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, help_text="Its share of discounts"
    )
    # Which stock count placing the order took this quantity from ("" when the stock was unlimited),
    # so cancelling gives back exactly what was taken, even after the variant is deleted.
    stock_taken_from = models.CharField(max_length=8, choices=StockSource.choices, blank=True)
    restocked = models.PositiveIntegerField(default=0, help_text="Units given back (cancel, refund, RTO)")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"


class OrderDiscount(models.Model):
    """A coupon or an offer applied to an order, and what it took off."""

    class Source(models.TextChoices):
        COUPON = "coupon", "Coupon"
        OFFER = "offer", "Offer"

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="discounts")
    source = models.CharField(max_length=8, choices=Source.choices)
    source_id = models.PositiveBigIntegerField(help_text="The coupon's or offer's id (kept if it is deleted)")
    label = models.CharField(max_length=120)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.label}: -{self.amount}"


class OrderCharge(Taxed):
    """A fee on an order beyond its lines: delivery, or cash on delivery."""

    class Kind(models.TextChoices):
        DELIVERY = "delivery", _("Delivery")
        COD = "cod", _("Cash on delivery fee")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="charges")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="The fee as the store set it")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["order", "kind"], name="order_charge_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.gross}"


class CheckoutDraft(models.Model):
    """A checkout the buyer began (they typed their phone) but may not finish: the shopkeeper can
    message them a link that brings back the same cart. One per browser's cart; `order` is set when
    that phone places an order in the store."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    # The cart link /s/<slug>/cart/r/<token>/: unguessable, as it restores the buyer's cart.
    token = models.CharField(max_length=32, unique=True, default=new_public_token, editable=False)
    phone = models.CharField(max_length=16, help_text="E.164")
    name = models.CharField(max_length=80, blank=True)
    pin_code = models.CharField("PIN code", max_length=6, blank=True)
    # The cart's lines as the session keeps them (orders.cart): {"<product>:<variant or 0>": [quantity,
    # price seen, name]}; restored through the cart's own parsing, so a bad line is dropped, never used.
    lines = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            # The dashboard's list: a store's drafts by last change.
            models.Index(fields=["store", "-updated_at"], name="draft_store_recent"),
            # place_order marks a phone's open drafts placed.
            models.Index(fields=["store", "phone"], name="draft_store_phone"),
        ]

    def __str__(self) -> str:
        return f"Unfinished checkout {self.pk} at store {self.store_id}"

    @property
    def cart_url(self) -> str:
        """The link that brings this cart back into a browser (storefront.views.cart_restore)."""
        return store_page_url(self.store.slug, "storefront:cart_restore", self.token)
