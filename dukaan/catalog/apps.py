from django.apps import AppConfig
from django.utils.translation import gettext_lazy

from dukaan.infra.registry import Personal, add_personal_fields


class CatalogConfig(AppConfig):
    name = "dukaan.catalog"
    label = "catalog"

    def ready(self) -> None:
        add_personal_fields(self.get_model("Store"), whatsapp=Personal.PHONE, upi_id=Personal.UPI)

        from dukaan.accounts.audit import NO_VALUE, audited

        from .services import UNLIMITED

        # The store's and products' fields whose changes the audit log keeps, in the reader's words.
        audited("name", gettext_lazy("Store name"))
        audited("slug", gettext_lazy("Store link"))
        audited("currency", gettext_lazy("Currency"))
        audited("upi_id", gettext_lazy("UPI ID"), NO_VALUE)
        audited("whatsapp", gettext_lazy("WhatsApp number"), NO_VALUE)
        audited("price", gettext_lazy("Price of %(subject)s"))
        audited("stock", gettext_lazy("Stock of %(subject)s"), {UNLIMITED: gettext_lazy("unlimited")})
