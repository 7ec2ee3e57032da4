"""Orders as placed: copied names and prices, exact totals, a state, and payments against them."""

import secrets

from django.db import models

from dukaan.catalog.models import Product, ProductVariant, Store


def new_public_token() -> str:
    return secrets.token_urlsafe(16)


class Order(models.Model):
    class Status(models.TextChoices):
        PLACED = "placed", "Placed"
        ACCEPTED = "accepted", "Accepted"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"

    class PaymentMethod(models.TextChoices):
        CASH_ON_DELIVERY = "cod", "Cash on delivery"
        UPI = "upi", "UPI"
        ONLINE = "online", "Online payment"

    class PaymentStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders")
    number = models.PositiveIntegerField(help_text="1, 2, 3… within the store")
    # The buyer's status link /o/<public_token>/: unguessable, so no login is needed to see it.
    public_token = models.CharField(max_length=32, unique=True, default=new_public_token, editable=False)
    # The key the checkout form carried: a double submit or a retry finds this order again.
    idempotency_key = models.CharField(max_length=64)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLACED)
    payment_method = models.CharField(max_length=8, choices=PaymentMethod.choices)
    payment_status = models.CharField(
        max_length=8, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
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
    accepted_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="order_number_unique_per_store"),
            models.UniqueConstraint(fields=["store", "idempotency_key"], name="order_idempotency_key_unique"),
        ]
        indexes = [
            models.Index(fields=["store", "status", "-created_at"], name="order_store_listing"),
            # The day's orders and revenue, and the unfiltered list, read by store and time alone.
            models.Index(fields=["store", "-created_at"], name="order_store_recent"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} at {self.store.slug}"


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
        DELIVERY = "delivery", "Delivery"
        COD = "cod", "Cash on delivery fee"

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="charges")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="The fee as the store set it")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["order", "kind"], name="order_charge_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.gross}"


class Payment(models.Model):
    """An online payment attempt with a provider: its order there, and what its webhooks said."""

    class Status(models.TextChoices):
        CREATED = "created", "Created"
        CAPTURED = "captured", "Captured"
        FAILED = "failed", "Failed"

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    provider = models.CharField(max_length=32)
    provider_order_id = models.CharField(max_length=64)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CREATED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_order_id"], name="payment_provider_order_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_order_id} ({self.status})"


class ProcessedWebhook(models.Model):
    """Webhook deliveries already applied, by the provider's event id: a redelivery changes nothing."""

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=128)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id}"


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
