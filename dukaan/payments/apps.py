from django.apps import AppConfig

from dukaan.infra.registry import Personal, add_personal_fields


class PaymentsConfig(AppConfig):
    name = "dukaan.payments"
    label = "payments"

    def ready(self) -> None:
        from dukaan.orders import services

        from .gateways import get_gateway

        services.no_online_payment = lambda: get_gateway() is None
        # A statement line's narration names the buyer and their UPI ID.
        add_personal_fields(self.get_model("StatementLineApplied"), text=Personal.ADDRESS)
