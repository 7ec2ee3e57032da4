from django.apps import AppConfig

from dukaan.infra.registry import Personal, add_personal_fields


class InvoicesConfig(AppConfig):
    name = "dukaan.invoices"
    label = "invoices"

    def ready(self) -> None:
        add_personal_fields(
            self.get_model("Invoice"),
            buyer_name=Personal.NAME,
            buyer_phone=Personal.PHONE,
            buyer_address=Personal.ADDRESS,
        )
