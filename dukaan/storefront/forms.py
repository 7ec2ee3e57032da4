"""What a buyer submits: cart changes and the checkout form. Validation only; the orders services decide."""

import re
import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from dukaan.accounts.services import LoginRefused, normalize_phone
from dukaan.catalog.rules import validate_text
from dukaan.shipping.rules import valid_pin

IDEMPOTENCY_KEY = re.compile(r"^[0-9a-f]{32}$")
# Far beyond any cap; only stops absurd numbers before they reach arithmetic.
_BIG = 10**9


class AddToCartForm(forms.Form):
    product = forms.IntegerField(min_value=1, max_value=2**62)
    variant = forms.IntegerField(min_value=1, max_value=2**62, required=False)
    quantity = forms.IntegerField(min_value=1, max_value=_BIG, initial=1)


class CartLineForm(forms.Form):
    line = forms.CharField(max_length=40)


QUANTITY_FIELD_PREFIX = "qty-"  # the cart form has one quantity field per line: qty-<line key>


def submitted_quantities(data, keys) -> tuple[dict[str, int], bool]:
    """The cart form's quantities for the given lines, and whether any field held something else."""
    quantities, bad = {}, False
    for key in keys:
        raw = data.get(QUANTITY_FIELD_PREFIX + key)
        if raw is None:
            continue
        raw = raw.strip()
        if raw.isascii() and raw.isdigit() and len(raw) <= 9:
            quantities[key] = int(raw)
        else:
            bad = True
    return quantities, bad


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class CheckoutForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=80, validators=[validate_text])
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("The shop calls or messages you on this number about the order."),
    )
    address = forms.CharField(
        label=_("Delivery address"),
        min_length=10,
        max_length=500,
        validators=[validate_text],
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
        help_text=_("House, street, area and city."),
    )
    # Entered in the PIN step above the form (the fee depends on it) and carried here.
    pin_code = forms.CharField(label=_("PIN code"), max_length=12, widget=forms.HiddenInput)
    payment_method = forms.ChoiceField(label=_("Payment"), widget=forms.RadioSelect)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    # The totals the page showed, paying now and cash on delivery: the order is placed only at the one
    # shown for the chosen way to pay.
    seen_total = forms.DecimalField(widget=forms.HiddenInput, required=False, max_digits=14, decimal_places=2)
    seen_total_cod = forms.DecimalField(
        widget=forms.HiddenInput, required=False, max_digits=14, decimal_places=2
    )

    def __init__(self, *args, store, online: bool, cash_on_delivery: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.offers_cash_on_delivery = cash_on_delivery
        choices = [("cod", _("Cash on delivery"))] if cash_on_delivery else []
        if store.upi_id:
            choices.append(("upi", _("UPI (Google Pay, PhonePe, Paytm…)")))
        if online:
            choices.append(("online", _("Pay online (card, net banking, UPI)")))
        self.fields["payment_method"].choices = choices
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        if not self.is_bound:
            if choices:
                self.initial.setdefault("payment_method", choices[0][0])
            self.initial.setdefault("idempotency_key", new_idempotency_key())

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except LoginRefused as error:
            raise forms.ValidationError(error.message) from error

    def clean_pin_code(self) -> str:
        try:
            return valid_pin(self.cleaned_data["pin_code"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error

    def clean_idempotency_key(self) -> str:
        key = self.cleaned_data["idempotency_key"]
        if not IDEMPOTENCY_KEY.match(key):
            raise forms.ValidationError(
                _("This form has expired. Check your details and place the order again.")
            )
        return key

    def show(self, *, pin_code: str, total: Decimal | None, cod_total: Decimal | None) -> None:
        """Carry the PIN code and the totals the page shows now, also on a form shown again."""
        values = {"pin_code": pin_code, "seen_total": total, "seen_total_cod": cod_total}
        if self.is_bound:
            self.data = self.data.copy()
            for name, value in values.items():
                self.data[name] = "" if value is None else str(value)
        else:
            self.initial.update(values)

    def renew_expired_key(self) -> None:
        """Give a re-shown form a fresh key when the submitted one was missing or malformed."""
        if self.is_bound and "idempotency_key" in self.errors:
            self.data = self.data.copy()
            self.data["idempotency_key"] = new_idempotency_key()
