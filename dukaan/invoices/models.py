"""Invoices: one per accepted order, numbered per store and financial year, never changed afterwards;
credit notes against them for refunds, in their own series."""

from django.db import models

from dukaan.catalog.models import Store
from dukaan.orders.models import Order


class InvoiceCounter(models.Model):
    """The last number a store gave in a series (invoices, credit notes) in a financial year: taken by a
    locked update in the document's own transaction, so numbers are consecutive, with no gaps, and
    never reused."""

    class Series(models.TextChoices):
        INVOICE = "INV", "Invoices"
        CREDIT_NOTE = "CN", "Credit notes"

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    series = models.CharField(max_length=3, choices=Series.choices, default=Series.INVOICE)
    financial_year = models.CharField(max_length=7, help_text="2026-27: April 2026 to March 2027")
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "series", "financial_year"], name="invoice_counter_per_store_series_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.financial_year}: {self.last}"


class Invoice(models.Model):
    class Kind(models.TextChoices):
        TAX_INVOICE = "tax_invoice", "Tax invoice"
        BILL_OF_SUPPLY = "bill_of_supply", "Bill of supply"

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="invoice")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    financial_year = models.CharField(max_length=7)
    sequence = models.PositiveIntegerField(help_text="1, 2, 3… within the store and financial year")
    number = models.CharField(max_length=24, help_text="INV/2026-27/0001")
    issued_at = models.DateTimeField(help_text="When the order was accepted")
    # The seller and the buyer as they were at issue: a later change to the store never alters an invoice.
    seller_name = models.CharField(max_length=80)
    seller_legal_name = models.CharField(max_length=200)
    seller_address = models.TextField(max_length=500, blank=True)
    seller_gstin = models.CharField("seller's GSTIN", max_length=15, blank=True)
    seller_state = models.CharField(max_length=2, blank=True, help_text="GST state code")
    buyer_name = models.CharField(max_length=80)
    buyer_phone = models.CharField(max_length=16)
    buyer_address = models.TextField(max_length=500)
    buyer_pin_code = models.CharField("buyer's PIN code", max_length=6)
    buyer_state = models.CharField(max_length=2, blank=True, help_text="GST state code of the PIN code")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="invoice_number_unique_per_store"),
            models.UniqueConstraint(
                fields=["store", "financial_year", "sequence"], name="invoice_sequence_unique_per_year"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CreditNote(models.Model):
    """A GST credit note: money refunded against an issued invoice, split by the invoice's tax rates."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    refund_id = models.BigIntegerField(help_text="The refund (payments) it records")
    financial_year = models.CharField(max_length=7)
    sequence = models.PositiveIntegerField(help_text="1, 2, 3… within the store and financial year")
    number = models.CharField(max_length=24, help_text="CN/2026-27/0001")
    issued_at = models.DateTimeField(help_text="When the refund was made")
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["issued_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "refund_id"], name="credit_note_once_per_refund"),
            models.UniqueConstraint(fields=["store", "number"], name="credit_note_number_unique_per_store"),
        ]

    def __str__(self) -> str:
        return self.number
