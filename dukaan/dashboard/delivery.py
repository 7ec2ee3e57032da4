"""The Delivery page: fees, free delivery above a value, PIN zones, blocked PINs and cash on delivery,
saved together in one form, with a box to try a PIN against what is saved."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from dukaan.accounts.roles import Access
from dukaan.catalog.rules import parse_money
from dukaan.catalog.templatetags.money import money
from dukaan.infra.money import ZERO
from dukaan.shipping.rules import DeliverySetup, ZoneSetup, delivery_message, quote_cod, quote_delivery
from dukaan.shipping.selectors import delivery_setup, delivery_terms
from dukaan.shipping.services import save_delivery_settings

from .forms import MoneyField
from .views import store_required

PINS_HELP = gettext_lazy(
    "PIN codes, prefixes (56 is every PIN starting 56) or ranges (560001-560099), separated by commas."
)


class DeliveryForm(forms.Form):
    flat_fee = MoneyField(
        label=gettext_lazy("Delivery fee"),
        required=False,
        help_text=gettext_lazy("For PIN codes in no zone below. 0 or empty: free."),
    )
    free_above = MoneyField(
        label=gettext_lazy("Free delivery from an order of"),
        required=False,
        help_text=gettext_lazy("Empty: never free by order value."),
    )
    blocked = forms.CharField(
        label=gettext_lazy("PIN codes you do not deliver to"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=PINS_HELP,
    )
    cod_enabled = forms.BooleanField(label=gettext_lazy("Offer cash on delivery (COD)"), required=False)
    cod_fee = MoneyField(
        label=gettext_lazy("COD fee"),
        required=False,
        help_text=gettext_lazy("Added to orders paid on delivery."),
    )
    cod_max_order = MoneyField(
        label=gettext_lazy("COD only for orders up to"),
        required=False,
        help_text=gettext_lazy("Empty: COD for any order value."),
    )
    cod_confirm_hours = forms.IntegerField(
        label=gettext_lazy("Buyer confirms a COD order within (hours)"),
        required=False,
        help_text=gettext_lazy(
            "1 to 72: the order waits for the buyer's confirmation and is cancelled after that. "
            "0 or empty: no confirmation."
        ),
    )
    cod_advance = MoneyField(
        label=gettext_lazy("Advance paid by UPI to confirm"),
        required=False,
        help_text=gettext_lazy(
            "Part-prepaid COD: the buyer pays this now by UPI, the rest on delivery. "
            "Needs a confirmation time and your UPI ID. 0 or empty: none."
        ),
    )


class ZoneForm(forms.Form):
    name = forms.CharField(
        max_length=60,
        label=gettext_lazy("Name"),
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Bengaluru")}),
    )
    pins = forms.CharField(
        label=gettext_lazy("PIN codes"),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "560, 561"}),
        help_text=PINS_HELP,
    )
    fee = MoneyField(label=gettext_lazy("Fee"))


ZoneFormSet = forms.formset_factory(ZoneForm, extra=2, can_order=True, can_delete=True)


def _or_zero(amount: Decimal | None) -> Decimal:
    return ZERO if amount is None else amount


def _setup(form: DeliveryForm, zone_forms: list[ZoneForm]) -> DeliverySetup:
    data = form.cleaned_data
    return DeliverySetup(
        flat_fee=_or_zero(data["flat_fee"]),
        free_above=data["free_above"],
        cod_enabled=data["cod_enabled"],
        cod_fee=_or_zero(data["cod_fee"]),
        cod_max_order=data["cod_max_order"],
        blocked=data["blocked"],
        cod_confirm_hours=data["cod_confirm_hours"] or 0,
        cod_advance=_or_zero(data["cod_advance"]),
        zones=tuple(
            ZoneSetup(
                name=zone.cleaned_data["name"], pins=zone.cleaned_data["pins"], fee=zone.cleaned_data["fee"]
            )
            for zone in zone_forms
        ),
    )


def _add_errors(form: DeliveryForm, zone_forms: list[ZoneForm], error: ValidationError) -> None:
    """The service's errors on their fields: "zones[1].pins" is the second zone kept, in its new order."""
    for field, field_errors in error.message_dict.items():
        if field.startswith("zones["):
            index, _, zone_field = field.removeprefix("zones[").partition("].")
            zone_forms[int(index)].add_error(zone_field, field_errors)
        else:
            form.add_error(field if field in form.fields else None, field_errors)


def _initial(setup: DeliverySetup) -> tuple[dict, list[dict]]:
    settings = {
        "flat_fee": setup.flat_fee,
        "free_above": setup.free_above,
        "blocked": setup.blocked,
        "cod_enabled": setup.cod_enabled,
        "cod_fee": setup.cod_fee,
        "cod_max_order": setup.cod_max_order,
        "cod_confirm_hours": setup.cod_confirm_hours,
        "cod_advance": setup.cod_advance,
    }
    zones = [
        {"name": zone.name, "pins": zone.pins, "fee": zone.fee, "ORDER": position}
        for position, zone in enumerate(setup.zones, start=1)
    ]
    return settings, zones


def _trial(request, store) -> dict | None:
    """What a buyer would see for the PIN (and order value) typed into the "Try a PIN" box."""
    if "pin" not in request.GET:
        return None
    pin, value = request.GET.get("pin", "")[:20], request.GET.get("value", "").strip()[:20]
    shown = lambda amount: money(amount, store)  # noqa: E731
    try:
        goods = parse_money(value) if value else ZERO
    except ValidationError as error:
        return {
            "pin": pin,
            "value": value,
            "error": _("Order value: %(error)s") % {"error": error.messages[0]},
        }
    terms = delivery_terms(store.pk)
    try:
        quote = quote_delivery(terms, pin, goods)
    except ValueError as error:
        return {"pin": pin, "value": value, "error": str(error)}
    cod = quote_cod(terms, goods, shown)
    return {
        "pin": pin,
        "value": value,
        "message": delivery_message(quote, shown),
        "cod": cod.message if quote.deliverable else "",
    }


@store_required(Access.SETTINGS)
def delivery_settings(request):
    store = request.store
    if request.method == "POST":
        form = DeliveryForm(request.POST)
        zones = ZoneFormSet(request.POST, prefix="zones")
        if form.is_valid() and zones.is_valid():
            kept = zones.ordered_forms
            try:
                checked = save_delivery_settings(store=store, setup=_setup(form, kept))
            except ValidationError as error:
                _add_errors(form, kept, error)
            else:
                messages.success(request, _("Delivery settings saved. Buyers see them from now on."))
                for note in checked.notes:
                    messages.info(request, note)
                return redirect("dashboard:delivery")
    else:
        settings, initial_zones = _initial(delivery_setup(store.pk))
        form = DeliveryForm(initial=settings)
        zones = ZoneFormSet(initial=initial_zones, prefix="zones")
    for zone in zones:
        zone.fields["ORDER"].label = _("Position")
        zone.fields["DELETE"].label = pgettext("dukaan", "Remove")
    return render(
        request,
        "dashboard/delivery/settings.html",
        {"store": store, "form": form, "zones": zones, "trial": _trial(request, store)},
    )
