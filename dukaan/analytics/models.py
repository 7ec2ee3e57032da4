"""One row per store per day: a projection of events, rebuildable by replaying them."""

from django.db import models

from dukaan.catalog.models import Store


class StoreDay(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="In the platform's time zone")
    views = models.PositiveIntegerField(default=0)
    orders = models.IntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["store", "day"], name="store_day_once")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day}"


class OrderRevenue(models.Model):
    """What one order still adds to its day's revenue: its total less the refunds counted so far, and
    nothing once cancelled or returned. It lets a refund and a later cancellation never both subtract."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    order_id = models.BigIntegerField()
    counted = models.DecimalField(max_digits=16, decimal_places=2)
    closed = models.BooleanField(default=False, help_text="Cancelled or returned: counts nothing")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "order_id"], name="order_revenue_once")]

    def __str__(self) -> str:
        return f"{self.store_id} order {self.order_id}: {self.counted}"
