"""Forms of the dashboard's Tax page and of the GST block on a product: they read input; the taxes
app's services check it against the rules and the rate schedule."""

from decimal import Decimal
from functools import partial

from django import forms
from django.utils import timezone

from dukaan.catalog.models import Category
from dukaan.taxes.rules import STATES
from dukaan.taxes.schedule import day_text, percent, schedule

STATE_CHOICES = [("", "Choose your state")] + sorted(
    ((code, f"{name} ({code})") for code, name in STATES.items()), key=lambda choice: choice[1]
)


def rate_value(rate: Decimal | None) -> str:
    """A rate as the rate lists' values spell it: 5.00 → "5", 0.25 → "0.25"; "" for none."""
    return "" if rate is None else f"{rate.normalize():f}"


def rate_choices(blank: str) -> list[tuple[str, str]]:
    """Every rate of the schedule; one that has ended says until when (it still applies to earlier days)."""
    today = timezone.localdate()
    choices = [("", blank)]
    for scheduled in schedule():
        text = f"{percent(scheduled.rate)} · {scheduled.label}"
        if scheduled.ends is not None and scheduled.ends < today:
            text += f" (until {day_text(scheduled.ends)})"
        elif scheduled.starts > today:
            text += f" (from {day_text(scheduled.starts)})"
        choices.append((rate_value(scheduled.rate), text))
    return choices


def _rate_field(label: str, blank: str, *, required: bool) -> forms.TypedChoiceField:
    # A callable: the choices (and whether a rate has ended) are worked out on each form's day.
    return forms.TypedChoiceField(
        label=label, choices=partial(rate_choices, blank), coerce=Decimal, empty_value=None, required=required
    )


class TaxSettingsForm(forms.Form):
    gstin = forms.CharField(
        label="GSTIN",
        required=False,
        max_length=20,
        help_text="15 characters, as on your GST certificate. Leave empty if you are not registered for GST.",
    )
    state_code = forms.ChoiceField(label="State", choices=STATE_CHOICES, required=False)
    prices_include_tax = forms.BooleanField(
        label="My prices include GST",
        required=False,
        help_text="Usual in Indian shops: the price is what the buyer pays.",
    )
    legal_name = forms.CharField(label="Legal name", required=False, max_length=120)
    address = forms.CharField(
        label="Registered address", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    default_hsn = forms.CharField(
        label="Default HSN code",
        required=False,
        max_length=8,
        help_text="For products with no HSN code of their own or of their category.",
    )
    default_rate = _rate_field("Default GST rate", "No default rate", required=False)


class TaxRateForm(forms.Form):
    hsn_code = forms.CharField(label="HSN code", max_length=8, help_text="4, 6 or 8 digits, e.g. 6109.")
    rate = _rate_field("GST rate", "Choose a rate", required=True)
    valid_from = forms.DateField(
        label="Applies from",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Orders placed before this day keep the rate they were charged.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("valid_from", timezone.localdate())
        super().__init__(*args, **kwargs)


class CategoryTaxForm(TaxRateForm):
    category = forms.ModelChoiceField(queryset=Category.objects.none(), empty_label="Choose a category")

    field_order = ["category", "hsn_code", "rate", "valid_from"]

    def __init__(self, *args, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(store=store)
