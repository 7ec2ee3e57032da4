from django.apps import AppConfig

from dukaan.infra.registry import Personal, add_personal_fields


class TaxesConfig(AppConfig):
    name = "dukaan.taxes"
    label = "taxes"

    def ready(self) -> None:
        # A sole proprietor's legal name is a person's name, and the address may be a home.
        add_personal_fields(self.get_model("TaxSettings"), legal_name=Personal.NAME, address=Personal.ADDRESS)
