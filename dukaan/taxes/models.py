"""A store's GST settings, and the GST rate and HSN code of its products and categories by date."""

from django.db import models
from django.db.models import Q

from dukaan.catalog.models import Category, Product, Store


class TaxSettings(models.Model):
    """One per store; a store without a row (or without a GSTIN) charges no GST."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="tax_settings")
    gstin = models.CharField("GSTIN", max_length=15, blank=True)
    state_code = models.CharField("state", max_length=2, blank=True)
    prices_include_tax = models.BooleanField(default=True)
    legal_name = models.CharField(max_length=120, blank=True)
    address = models.TextField(blank=True)
    # For products with no rate of their own or of their category.
    default_hsn = models.CharField("default HSN code", max_length=8, blank=True)
    default_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "tax settings"

    def __str__(self) -> str:
        return f"GST of store {self.store_id}: {self.gstin or 'not registered'}"


class TaxRate(models.Model):
    """A product's or a category's HSN code and GST rate from `valid_from` on: the latest one whose
    date has come applies. Orders store the rate they were charged, so a change never alters one."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    hsn_code = models.CharField("HSN code", max_length=8)
    rate = models.DecimalField(max_digits=5, decimal_places=2)
    valid_from = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=False, category__isnull=True)
                | Q(product__isnull=True, category__isnull=False),
                name="tax_rate_for_product_or_category",
            ),
            models.UniqueConstraint(
                fields=["store", "product", "valid_from"],
                condition=Q(product__isnull=False),
                name="tax_rate_one_per_product_and_day",
            ),
            models.UniqueConstraint(
                fields=["store", "category", "valid_from"],
                condition=Q(category__isnull=False),
                name="tax_rate_one_per_category_and_day",
            ),
        ]
        indexes = [models.Index(fields=["store", "valid_from"], name="tax_rate_store_day")]

    def __str__(self) -> str:
        return f"{self.rate} % (HSN {self.hsn_code}) from {self.valid_from}"
