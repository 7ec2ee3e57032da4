from django.apps import AppConfig

from dukaan.infra.registry import Personal, add_personal_fields


class PromotionsConfig(AppConfig):
    name = "dukaan.promotions"
    label = "promotions"

    def ready(self) -> None:
        from dukaan.catalog.seed import add_demo_step
        from dukaan.catalog.snapshot import add_snapshot_part

        from .services import seed_demo_coupon
        from .snapshot import offers_part

        add_personal_fields(self.get_model("CouponPhoneUses"), phone=Personal.PHONE)
        add_personal_fields(self.get_model("CouponUse"), phone=Personal.PHONE)
        add_snapshot_part("offers", offers_part)
        add_demo_step(seed_demo_coupon)
