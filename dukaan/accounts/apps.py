from django.apps import AppConfig
from django.utils.translation import gettext_lazy

from dukaan.infra.registry import Personal, add_not_copied, add_personal_fields


class AccountsConfig(AppConfig):
    name = "dukaan.accounts"
    label = "accounts"

    def ready(self) -> None:
        add_personal_fields(
            self.get_model("User"), phone=Personal.PHONE, name=Personal.NAME, password=Personal.PASSWORD
        )
        add_not_copied(
            self.get_model("LoginCode"), "login codes: phones and IP addresses of people logging in"
        )
        add_not_copied(self.get_model("ApiToken"), "API tokens: keys to merchants' stores")

        from .audit import audited
        from .roles import Role

        # A member's role is kept as its value (staff), shown as its name in the reader's language.
        audited("staff", gettext_lazy("Staff %(subject)s"), {str(role): role.label for role in Role})
        audited("owner", gettext_lazy("Owner"))  # values: the old and the new owner's masked phones
