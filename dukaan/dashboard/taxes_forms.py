"""Forms of the dashboard's Tax page and of the GST block on a product: they read input; the taxes
app's services check it against the rules and the rate schedule."""

from decimal import Decimal
from functools import partial

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dukaan.catalog.models import Category
from dukaan.taxes.rules import STATES, state_name
from dukaan.taxes.schedule import day_text, percent, schedule


def state_choices() -> list[tuple[str, str]]:
    states = sorted(((code, f"{state_name(code)} ({code})") for code in STATES), key=lambda choice: choice[1])
    return [("", _("Choose your state")), *states]


def rate_value(rate: Decimal | None) -> str:
    """A rate as the rate lists' values spell it: 5.00 → "5", 0.25 → "0.25"; "" for none."""
    return "" if rate is None else f"{rate.normalize():f}"


def rate_choices(blank) -> list[tuple[str, str]]:
    """Every rate of the schedule; one that has ended says until when (it still applies to earlier days)."""
    today = timezone.localdate()
    choices = [("", str(blank))]
    for scheduled in schedule():
        text = f"{percent(scheduled.rate)} · {scheduled.shown_label}"
        if scheduled.ends is not None and scheduled.ends < today:
            text += " " + _("(until %(day)s)") % {"day": day_text(scheduled.ends)}
        elif scheduled.starts > today:
            text += " " + _("(from %(day)s)") % {"day": day_text(scheduled.starts)}
        choices.append((rate_value(scheduled.rate), text))
    return choices


def _rate_field(label, blank, *, required: bool) -> forms.TypedChoiceField:
    # A callable: the choices (and whether a rate has ended) are worked out on each form's day.
    return forms.TypedChoiceField(
        label=label, choices=partial(rate_choices, blank), coerce=Decimal, empty_value=None, required=required
    )


class TaxSettingsForm(forms.Form):
    gstin = forms.CharField(
        label="GSTIN",
        required=False,
        max_length=20,
        help_text=gettext_lazy(
            "15 characters, as on your GST certificate. Leave empty if you are not registered for GST."
        ),
    )
    state_code = forms.ChoiceField(label=gettext_lazy("State"), choices=state_choices, required=False)
    prices_include_tax = forms.BooleanField(
        label=gettext_lazy("My prices include GST"),
        required=False,
        help_text=gettext_lazy("Usual in Indian shops: the price is what the buyer pays."),
    )
    legal_name = forms.CharField(label=gettext_lazy("Legal name"), required=False, max_length=120)
    address = forms.CharField(
        label=gettext_lazy("Registered address"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    default_hsn = forms.CharField(
        label=gettext_lazy("Default HSN code"),
        required=False,
        max_length=8,
        help_text=gettext_lazy("For products with no HSN code of their own or of their category."),
    )
    default_rate = _rate_field(
        gettext_lazy("Default GST rate"), gettext_lazy("No default rate"), required=False
    )


class TaxRateForm(forms.Form):
    hsn_code = forms.CharField(
        label=gettext_lazy("HSN code"), max_length=8, help_text=gettext_lazy("4, 6 or 8 digits, e.g. 6109.")
    )
    rate = _rate_field(gettext_lazy("GST rate"), gettext_lazy("Choose a rate"), required=True)
    valid_from = forms.DateField(
        label=gettext_lazy("Applies from"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Orders placed before this day keep the rate they were charged."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("valid_from", timezone.localdate())
        super().__init__(*args, **kwargs)


class CategoryTaxForm(TaxRateForm):
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        label=gettext_lazy("Category"),
        empty_label=gettext_lazy("Choose a category"),
    )

    field_order = ["category", "hsn_code", "rate", "valid_from"]

    def __init__(self, *args, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(store=store)
