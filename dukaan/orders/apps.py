from django.apps import AppConfig

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
