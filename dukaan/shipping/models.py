"""A store's delivery settings and PIN-code zones, kept as the shopkeeper typed them.

Only text that `rules.check_setup` accepts is saved (services.save_delivery_settings), so the
selectors can read it back into rules.DeliveryTerms without checking it again.
"""

from django.db import models

from dukaan.catalog.models import Store


class DeliverySettings(models.Model):
    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="delivery_settings")
    flat_fee = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    free_above = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    cod_enabled = models.BooleanField(default=True)
    cod_fee = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    cod_max_order = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    # COD orders wait this many hours for the buyer's confirmation, then are cancelled; 0 = no confirmation.
    cod_confirm_hours = models.PositiveSmallIntegerField(default=0)
    # Part-prepaid COD: paid by UPI to confirm the order, the rest on delivery; 0 = none.
    cod_advance = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    # PIN codes, prefixes and ranges not delivered to, comma or newline separated (rules.parse_pins).
    blocked = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "delivery settings"

    def __str__(self) -> str:
        return f"Delivery settings of store {self.store_id}"


class DeliveryZone(models.Model):
    """A fee for the PIN codes in `pins`; the first zone (lowest position) holding a PIN gives its fee."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="delivery_zones")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=60)
    pins = models.TextField()
    fee = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["store", "position"], name="delivery_zone_position_unique")
        ]

    def __str__(self) -> str:
        return self.name


class CodBlockedPhone(models.Model):
    """A buyer phone the store no longer takes cash on delivery from (orders.services refuses it)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(max_length=16, help_text="E.164")
    reason = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["store", "phone"], name="cod_blocked_phone_unique")]

    def __str__(self) -> str:
        return self.phone
