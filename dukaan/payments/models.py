"""Payments against orders: money recorded as paid, online attempts at a provider, the webhook
deliveries already applied, and refunds."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dukaan.accounts.audit import by_text
from dukaan.catalog.models import Store
from dukaan.orders.models import Order


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
    provider_payment_id = models.CharField(max_length=64, blank=True, help_text="Set when captured")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "orders_payment"  # moved from orders with its rows
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
        db_table = "orders_processedwebhook"  # moved from orders with its rows
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id}"


class StatementLineApplied(models.Model):
    """A bank statement's credit that paid an order (payments/matching.py): the payment's record, and
    what keeps the same line from paying twice. `line_key` is the UTR, or a hash of the line's date,
    amount and text when it has none."""

    class MatchedBy(models.TextChoices):
        REFERENCE = "reference", "Reference and amount"
        AMOUNT = "amount", "Amount only"

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    line_key = models.CharField(max_length=80)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="statement_payments")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    utr = models.CharField("UTR", max_length=64, blank=True)
    line_date = models.DateField(null=True, blank=True)
    text = models.CharField(max_length=500, blank=True, help_text="The line's narration")
    matched_by = models.CharField(max_length=10, choices=MatchedBy.choices)
    by = models.CharField(max_length=120, help_text="Who sent the statement")
    applied_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "line_key"], name="statement_line_applied_once")
        ]

    def __str__(self) -> str:
        return f"{self.amount} for order {self.order_id} ({self.line_key})"


# recorded_by of the payments no person recorded.
STATEMENT, GATEWAY = "statement", "gateway"


class RecordedPayment(models.Model):
    """Money in for an order, one row per payment: recorded by hand, matched from a bank statement or
    captured online. The order's amount_paid is the sum of its rows (orders.services.record_money)."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        UPI = "upi", "UPI"
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        CARD_ON_DELIVERY = "card_on_delivery", _("Card on delivery")
        ONLINE = "online", _("Online (gateway)")
        OTHER = "other", _("Other")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="recorded_payments")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    method = models.CharField(max_length=16, choices=Method.choices)
    reference = models.CharField(max_length=64, blank=True, help_text="UPI reference, UTR or receipt number")
    note = models.CharField(max_length=200, blank=True)
    # The merchant's phone, the API token, or "statement" / "gateway" when no person recorded it.
    recorded_by = models.CharField(max_length=100)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["store", "order"], name="recorded_payment_order")]

    def __str__(self) -> str:
        return f"{self.amount} by {self.method} for order {self.order_id}"

    @property
    def recorded_by_text(self) -> str:
        """Who recorded it, in the reader's language."""
        if self.recorded_by == STATEMENT:
            return gettext("a bank statement")
        if self.recorded_by == GATEWAY:
            return gettext("the payment gateway")
        return by_text(self.recorded_by)


class Refund(models.Model):
    """Money paid back for an order: through the gateway (pending until it confirms) or by hand."""

    class Method(models.TextChoices):
        GATEWAY = "gateway", _("Through the payment gateway")
        UPI = "upi", "UPI"
        CASH = "cash", _("Cash")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")

    class Status(models.TextChoices):
        PENDING = "pending", "Pending at the gateway"
        PROCESSED = "processed", "Refunded"
        FAILED = "failed", "Failed"

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    method = models.CharField(max_length=16, choices=Method.choices)
    reference = models.CharField(max_length=100, blank=True, help_text="UPI or bank reference")
    note = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    provider_refund_id = models.CharField(max_length=64, blank=True)
    failure = models.CharField(max_length=300, blank=True, help_text="Why the gateway did not refund it")
    restocked = models.JSONField(default=dict, blank=True, help_text="{order line id: units back in stock}")
    by = models.CharField(max_length=200, blank=True, help_text="Who refunded it")
    idempotency_key = models.CharField(max_length=64, blank=True, help_text="The API's Idempotency-Key")
    at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["store", "order"])]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_refund_id"],
                condition=~models.Q(provider_refund_id=""),
                name="refund_provider_id_unique",
            ),
            models.UniqueConstraint(
                fields=["store", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="refund_idempotency_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount} of order {self.order_id} ({self.status})"
