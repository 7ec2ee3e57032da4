from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "dukaan.shipping"
    label = "shipping"

    def ready(self) -> None:
        from dukaan.catalog.seed import add_demo_step
        from dukaan.catalog.snapshot import add_snapshot_part

        # Declare the event types when Django loads, as emit() and the event contract expect every
        # type to be known (the consumer that reads them is not loaded in every process).
        from . import events  # noqa: F401
        from .services import seed_demo_delivery
        from .snapshot import delivery_part

        add_snapshot_part("delivery", delivery_part)
        add_demo_step(seed_demo_delivery)
