"""The dashboard's coupons and offers: lists with their uses, create and edit, pause and resume.

Thin like views.py: the forms read what was typed, dukaan.promotions' services validate and save;
an error shows on the form and nothing is saved.
"""

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dukaan.accounts.roles import Access
from dukaan.catalog.models import Category, Product
from dukaan.promotions import services
from dukaan.promotions.models import Coupon, Offer
from dukaan.promotions.selectors import store_coupons, store_offers
from dukaan.promotions.services import CouponInput, OfferInput

from .forms import MoneyField
from .views import _add_errors, store_required

PER_PAGE = 50
WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ChoicesOfStore(forms.ModelMultipleChoiceField):
    """A plain multi-select of the store's own products or categories; the form holds their ids."""

    def __init__(self, **kwargs) -> None:
        super().__init__(queryset=Product.objects.none(), required=False, **kwargs)
        self.widget.attrs["size"] = 6

    def clean(self, value):
        return frozenset(item.pk for item in super().clean(value))


class _StoreForm(forms.Form):
    """Its choices are the store's own products (and categories): another store's id is a form error."""

    def __init__(self, *args, store, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, model in (("product_ids", Product), ("category_ids", Category)):
            field = self.fields.get(name)
            if isinstance(field, ChoicesOfStore):
                field.queryset = model.objects.filter(store=store).order_by("name")


class CouponForm(_StoreForm):
    code = forms.CharField(
        max_length=40,
        label=gettext_lazy("Code"),
        help_text=gettext_lazy("What buyers type, e.g. SAVE10. Letters, digits, - and _."),
    )
    kind = forms.ChoiceField(choices=Coupon.KINDS, label=gettext_lazy("Discount"))
    value = MoneyField(label=gettext_lazy("Percent or amount off"))
    min_order = MoneyField(
        required=False, label=gettext_lazy("Minimum order"), help_text=gettext_lazy("Empty: any order.")
    )
    max_discount = MoneyField(
        required=False, label=gettext_lazy("Maximum discount"), help_text=gettext_lazy("Empty: no cap.")
    )
    starts_at = forms.DateTimeField(
        required=False, widget=WHEN, label=gettext_lazy("Starts"), help_text=gettext_lazy("Empty: now.")
    )
    ends_at = forms.DateTimeField(
        required=False, widget=WHEN, label=gettext_lazy("Ends"), help_text=gettext_lazy("Empty: never.")
    )
    max_uses = forms.IntegerField(
        required=False, label=gettext_lazy("Total uses"), help_text=gettext_lazy("Empty: unlimited.")
    )
    per_phone_limit = forms.IntegerField(
        required=False,
        label=gettext_lazy("Uses per buyer phone"),
        help_text=gettext_lazy("Empty: unlimited."),
    )
    first_order_only = forms.BooleanField(required=False, label=gettext_lazy("Only on a buyer's first order"))
    product_ids = ChoicesOfStore(
        label=gettext_lazy("Products"), help_text=gettext_lazy("Choose none here and below: every product.")
    )
    category_ids = ChoicesOfStore(label=gettext_lazy("Categories"))
    combines_with_offers = forms.BooleanField(
        required=False,
        label=gettext_lazy("Combine with offers"),
        help_text=gettext_lazy("Off: a buyer gets the coupon or the offers, whichever saves more."),
    )


class OfferForm(_StoreForm):
    name = forms.CharField(
        max_length=60,
        label=gettext_lazy("Name"),
        # xgettext:no-python-format
        help_text=gettext_lazy("Buyers see it, e.g. “10% off above ₹500”."),
    )
    kind = forms.ChoiceField(choices=Offer.KINDS, label=gettext_lazy("Offer"))
    percent = MoneyField(
        required=False,
        label=gettext_lazy("Percent off"),
        help_text=gettext_lazy("Off the order: a percent or an amount."),
    )
    flat = MoneyField(required=False, label=gettext_lazy("Amount off"))
    min_order = MoneyField(
        required=False, label=gettext_lazy("Minimum order"), help_text=gettext_lazy("Empty: any order.")
    )
    buy = forms.IntegerField(
        required=False, label=gettext_lazy("Buy (units)"), help_text=gettext_lazy("Buy N, get M free: N.")
    )
    get = forms.IntegerField(
        required=False,
        label=gettext_lazy("Get free (units)"),
        help_text=gettext_lazy("M, the cheapest units."),
    )
    product_ids = ChoicesOfStore(
        label=gettext_lazy("On products"), help_text=gettext_lazy("Buy N, get M free: the products it is on.")
    )
    starts_at = forms.DateTimeField(
        required=False, widget=WHEN, label=gettext_lazy("Starts"), help_text=gettext_lazy("Empty: now.")
    )
    ends_at = forms.DateTimeField(
        required=False, widget=WHEN, label=gettext_lazy("Ends"), help_text=gettext_lazy("Empty: never.")
    )


def _local(initial: dict) -> dict:
    """Times shown in the store's time zone, as the browser's datetime-local input types them."""
    for name in ("starts_at", "ends_at"):
        if initial.get(name):
            initial[name] = timezone.localtime(initial[name])
    return initial


def _status(row: Coupon | Offer, now: datetime) -> str:
    if not row.active:
        return "Paused"
    if row.ends_at is not None and row.ends_at <= now:
        return "Ended"
    if row.starts_at is not None and row.starts_at > now:
        return "Scheduled"
    return "Running"


STATUS_LABELS = {
    "Paused": gettext_lazy("Paused"),
    "Ended": gettext_lazy("Ended"),
    "Scheduled": gettext_lazy("Scheduled"),
    "Running": gettext_lazy("Running"),
}


def _listing(request, rows, template: str):
    """A page of coupons or offers, each with its status now: Running, Scheduled, Ended or Paused."""
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    for row in page.object_list:
        row.status = _status(row, now)
        row.status_label = STATUS_LABELS[row.status]
    return render(request, template, {"store": request.store, "page": page})


def _edit(request, *, what: str, thing, form: forms.Form, save: Callable[[dict], object]):
    """Show `form`; once valid, `save` its cleaned data through a service, whose errors go on the form."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            done = _("Coupon “%(name)s” saved.") if what == "coupon" else _("Offer “%(name)s” saved.")
            messages.success(request, done % {"name": saved})
            return redirect(f"dashboard:{what}s")
    context = {"store": request.store, "form": form, "what": what, "thing": thing}
    return render(request, "dashboard/promotions/form.html", context)


def _switched(request, name: str) -> bool:
    active = request.POST.get("active") == "1"
    done = _("%(name)s is running again.") if active else _("%(name)s is paused.")
    messages.success(request, done % {"name": name})
    return active


# --- Coupons ------------------------------------------------------------------------------------------


@store_required(Access.CATALOG)
def coupons(request):
    return _listing(request, store_coupons(request.store.pk), "dashboard/promotions/coupons.html")


def _coupon_form(request, coupon: Coupon | None):
    store = request.store
    initial = _local(asdict(services.coupon_input(coupon))) if coupon else {}

    def save(cleaned: dict) -> Coupon:
        data = CouponInput(**cleaned)
        if coupon is None:
            return services.create_coupon(store=store, data=data)
        return services.update_coupon(coupon=coupon, data=data)

    form = CouponForm(request.POST or None, store=store, initial=initial)
    return _edit(request, what="coupon", thing=coupon, form=form, save=save)


@store_required(Access.CATALOG)
def coupon_create(request):
    return _coupon_form(request, None)


@store_required(Access.CATALOG)
def coupon_edit(request, pk: int):
    return _coupon_form(request, get_object_or_404(store_coupons(request.store.pk), pk=pk))


@require_POST
@store_required(Access.CATALOG)
def coupon_active(request, pk: int):
    coupon = get_object_or_404(Coupon.objects.filter(store=request.store), pk=pk)
    services.set_coupon_active(
        coupon=coupon, active=_switched(request, _("Coupon %(code)s") % {"code": coupon.code})
    )
    return redirect("dashboard:coupons")


# --- Offers -------------------------------------------------------------------------------------------


@store_required(Access.CATALOG)
def offers(request):
    return _listing(request, store_offers(request.store.pk), "dashboard/promotions/offers.html")


def _offer_form(request, offer: Offer | None):
    store = request.store
    initial = _local(asdict(services.offer_input(offer))) if offer else {}

    def save(cleaned: dict) -> Offer:
        data = OfferInput(**cleaned)
        if offer is None:
            return services.create_offer(store=store, data=data)
        return services.update_offer(offer=offer, data=data)

    form = OfferForm(request.POST or None, store=store, initial=initial)
    return _edit(request, what="offer", thing=offer, form=form, save=save)


@store_required(Access.CATALOG)
def offer_create(request):
    return _offer_form(request, None)


@store_required(Access.CATALOG)
def offer_edit(request, pk: int):
    return _offer_form(request, get_object_or_404(store_offers(request.store.pk), pk=pk))


@require_POST
@store_required(Access.CATALOG)
def offer_active(request, pk: int):
    offer = get_object_or_404(Offer.objects.filter(store=request.store), pk=pk)
    services.set_offer_active(
        offer=offer, active=_switched(request, _("Offer “%(name)s”") % {"name": offer.name})
    )
    return redirect("dashboard:offers")
