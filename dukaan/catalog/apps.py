from django.apps import AppConfig

from dukaan.infra.registry import Personal, add_personal_fields


class CatalogConfig(AppConfig):
    name = "dukaan.catalog"
    label = "catalog"

    def ready(self) -> None:
        add_personal_fields(self.get_model("Store"), whatsapp=Personal.PHONE, upi_id=Personal.UPI)
