from django.apps import AppConfig
from django.utils.translation import gettext_lazy

from dukaan.infra.registry import Personal, add_personal_fields


class OrdersConfig(AppConfig):
    name = "dukaan.orders"
    label = "orders"

    def ready(self) -> None:
        add_personal_fields(
            self.get_model("Order"),
            buyer_name=Personal.NAME,
            buyer_phone=Personal.PHONE,
            address=Personal.ADDRESS,
        )
        add_personal_fields(self.get_model("CheckoutDraft"), name=Personal.NAME, phone=Personal.PHONE)

        from dukaan.accounts.audit import audited

        from .models import Order

        # An order's status is kept as its value (accepted), shown as its name in the reader's words.
        audited("order_status", gettext_lazy("Order #%(subject)s status"), dict(Order.Status.choices))
