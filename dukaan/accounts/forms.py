"""Forms of the login pages (merchants' and staff's): they parse what was typed; the services decide."""

import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from .services import CODE_DIGITS, LoginRefused, normalize_phone


class TelInput(forms.TextInput):
    input_type = "tel"


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Mobile number"),
        max_length=32,
        widget=TelInput(attrs={"autocomplete": "tel", "placeholder": "+91 98123 45678", "autofocus": True}),
        help_text=gettext_lazy("We'll send a 6-digit code to this number by SMS. No password needed."),
    )

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except LoginRefused as refused:
            raise forms.ValidationError(refused.message) from refused


class CodeForm(forms.Form):
    # No max_length on the field: a pasted "123 456" should be cleaned, not refused for its length.
    code = forms.CharField(
        label=gettext_lazy("6-digit code"),
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "maxlength": str(CODE_DIGITS),
                "pattern": "[0-9]*",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        code = re.sub(r"\s+", "", self.cleaned_data["code"])
        if not re.fullmatch(rf"\d{{{CODE_DIGITS}}}", code):
            raise forms.ValidationError(
                _("Enter the %(digits)d digits from the SMS.") % {"digits": CODE_DIGITS}
            )
        return code


class StaffLoginForm(forms.Form):
    """The admin's password form. Without `phone` the phone is already known (the SMS code came first)."""

    phone = forms.CharField(
        label=gettext_lazy("Mobile number"),
        max_length=32,
        widget=TelInput(
            attrs={"autocomplete": "username", "placeholder": "+91 98123 45678", "autofocus": True}
        ),
    )
    password = forms.CharField(
        label=pgettext_lazy("dukaan", "Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, phone: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if phone:
            del self.fields["phone"]
            self.fields["password"].widget.attrs["autofocus"] = True
