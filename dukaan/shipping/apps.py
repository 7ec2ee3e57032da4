from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "dukaan.shipping"
    label = "shipping"

    def ready(self) -> None:
        # No consumer of ours imports these: declare them when Django loads, as emit() and the
        # event contract expect every type to be known.
        from . import events  # noqa: F401
