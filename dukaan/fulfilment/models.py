"""A shipped order's parcel: which courier carries it and where the buyer can follow it."""

from django.db import models

from dukaan.catalog.models import Store
from dukaan.orders.models import Order

TRACKING_NUMBER_MAX, TRACKING_URL_MAX, COURIER_NAME_MAX = 40, 500, 60


class Shipment(models.Model):
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="shipment")
    courier = models.CharField(max_length=20, help_text="A key of fulfilment.couriers.COURIERS")
    courier_name = models.CharField(max_length=COURIER_NAME_MAX, help_text="As the buyer reads it")
    tracking_number = models.CharField(max_length=TRACKING_NUMBER_MAX, blank=True)
    tracking_url = models.CharField("tracking URL", max_length=TRACKING_URL_MAX, blank=True)
    shipped_at = models.DateTimeField()
    by = models.CharField(max_length=20, blank=True, help_text='Who shipped it: "shop", "api"')

    def __str__(self) -> str:
        return f"{self.courier_name} {self.tracking_number}".strip()
