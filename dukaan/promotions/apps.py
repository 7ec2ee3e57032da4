from django.apps import AppConfig

from dukaan.infra.registry import Personal, add_personal_fields


class PromotionsConfig(AppConfig):
    name = "dukaan.promotions"
    label = "promotions"

    def ready(self) -> None:
        add_personal_fields(self.get_model("CouponPhoneUses"), phone=Personal.PHONE)
        add_personal_fields(self.get_model("CouponUse"), phone=Personal.PHONE)
