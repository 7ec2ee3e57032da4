"""Coupons (a code the buyer types) and offers (applied without a code), with their counted uses."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dukaan.catalog.models import Category, Product, Store


class Coupon(models.Model):
    PERCENT, FLAT = "percent", "flat"
    KINDS = [(PERCENT, _("Percent off")), (FLAT, _("Amount off"))]

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=20, help_text="Stored upper case (rules.normalize_code).")
    kind = models.CharField(max_length=8, choices=KINDS)
    value = models.DecimalField(max_digits=12, decimal_places=2)
    min_order = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    max_discount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: unlimited.")
    used_count = models.PositiveIntegerField(default=0)
    per_phone_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: unlimited.")
    first_order_only = models.BooleanField(default=False)
    products = models.ManyToManyField(Product, blank=True, related_name="+")
    categories = models.ManyToManyField(Category, blank=True, related_name="+")
    combines_with_offers = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Codes are stored upper case, so this is unique whatever case buyers and shopkeepers type.
            models.UniqueConstraint(fields=["store", "code"], name="coupon_code_unique_per_store"),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(used_count__lte=models.F("max_uses")),
                name="coupon_used_within_max_uses",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def uses_label(self) -> str:
        """ "3 of 5 used", or "3 used" without a limit."""
        if self.max_uses is None:
            return f"{self.used_count} used"
        return f"{self.used_count} of {self.max_uses} used"


class CouponPhoneUses(models.Model):
    """How many uses of a coupon one buyer phone holds: the row the per-phone limit is counted on."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="phone_uses")
    phone = models.CharField(max_length=16)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["coupon", "phone"], name="coupon_phone_uses_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.coupon_id} × {self.count}"


class CouponUse(models.Model):
    """One order's use of a coupon; `released_at` is set when the order's cancel gave it back."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="uses")
    phone = models.CharField(max_length=16)
    order_id = models.PositiveBigIntegerField()  # orders sit above promotions: a plain id, no FK
    used_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "order_id"], name="coupon_use_one_per_order"),
        ]

    def __str__(self) -> str:
        return f"order {self.order_id}"


class Offer(models.Model):
    ORDER, BUY_GET = "order", "buy_get"
    KINDS = [(ORDER, _("Off the order")), (BUY_GET, _("Buy N, get M free"))]

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=60)
    kind = models.CharField(max_length=8, choices=KINDS)
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    flat = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    min_order = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    buy = models.PositiveIntegerField(null=True, blank=True)
    get = models.PositiveIntegerField(null=True, blank=True)
    products = models.ManyToManyField(Product, blank=True, related_name="+")
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["store", "active"], name="offer_store_active")]

    def __str__(self) -> str:
        return self.name
