"""The dashboard's coupons and offers: lists with their uses, create and edit, pause and resume.

Thin like views.py: the forms read what was typed, dukaan.promotions' services validate and save;
an error shows on the form and nothing is saved.
"""

from dataclasses import asdict

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

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
        max_length=40, help_text="What buyers type, e.g. SAVE10. Letters, digits, - and _."
    )
    kind = forms.ChoiceField(choices=Coupon.KINDS, label="Discount")
    value = MoneyField(label="Percent or amount off")
    min_order = MoneyField(required=False, label="Minimum order", help_text="Empty: any order.")
    max_discount = MoneyField(required=False, label="Maximum discount", help_text="Empty: no cap.")
    starts_at = forms.DateTimeField(required=False, widget=WHEN, label="Starts", help_text="Empty: now.")
    ends_at = forms.DateTimeField(required=False, widget=WHEN, label="Ends", help_text="Empty: never.")
    max_uses = forms.IntegerField(required=False, label="Total uses", help_text="Empty: unlimited.")
    per_phone_limit = forms.IntegerField(
        required=False, label="Uses per buyer phone", help_text="Empty: unlimited."
    )
    first_order_only = forms.BooleanField(required=False, label="Only on a buyer's first order")
    product_ids = ChoicesOfStore(label="Products", help_text="Choose none here and below: every product.")
    category_ids = ChoicesOfStore(label="Categories")
    combines_with_offers = forms.BooleanField(
        required=False,
        label="Combine with offers",
        help_text="Off: a buyer gets the coupon or the offers, whichever saves more.",
    )


class OfferForm(_StoreForm):
    name = forms.CharField(max_length=60, help_text="Buyers see it, e.g. “10% off above ₹500”.")
    kind = forms.ChoiceField(choices=Offer.KINDS, label="Offer")
    percent = MoneyField(
        required=False, label="Percent off", help_text="Off the order: a percent or an amount."
    )
    flat = MoneyField(required=False, label="Amount off")
    min_order = MoneyField(required=False, label="Minimum order", help_text="Empty: any order.")
    buy = forms.IntegerField(required=False, label="Buy (units)", help_text="Buy N, get M free: N.")
    get = forms.IntegerField(required=False, label="Get free (units)", help_text="M, the cheapest units.")
    product_ids = ChoicesOfStore(label="On products", help_text="Buy N, get M free: the products it is on.")
    starts_at = forms.DateTimeField(required=False, widget=WHEN, label="Starts", help_text="Empty: now.")
    ends_at = forms.DateTimeField(required=False, widget=WHEN, label="Ends", help_text="Empty: never.")


def _local(initial: dict) -> dict:
    """Times shown in the store's time zone, as the browser's datetime-local input types them."""
    for name in ("starts_at", "ends_at"):
        if initial.get(name):
            initial[name] = timezone.localtime(initial[name])
    return initial


def _status(active: bool, starts_at, ends_at, now) -> str:
    if not active:
        return "Paused"
    if ends_at is not None and ends_at <= now:
        return "Ended"
    if starts_at is not None and starts_at > now:
        return "Scheduled"
    return "Running"


# --- Coupons ------------------------------------------------------------------------------------------


@store_required
def coupons(request):
    store = request.store
    page = Paginator(store_coupons(store.pk), PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    for coupon in page.object_list:
        coupon.status = _status(coupon.active, coupon.starts_at, coupon.ends_at, now)
    return render(request, "dashboard/promotions/coupons.html", {"store": store, "page": page})


def _coupon_form(request, coupon: Coupon | None):
    store = request.store
    initial = _local(asdict(services.coupon_input(coupon))) if coupon else {}
    form = CouponForm(request.POST or None, store=store, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = CouponInput(**form.cleaned_data)
        try:
            if coupon is None:
                saved = services.create_coupon(store=store, data=data)
            else:
                saved = services.update_coupon(coupon=coupon, data=data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Coupon {saved.code} saved.")
            return redirect("dashboard:coupons")
    context = {"store": store, "form": form, "what": "coupon", "thing": coupon}
    return render(request, "dashboard/promotions/form.html", context)


@store_required
def coupon_create(request):
    return _coupon_form(request, None)


@store_required
def coupon_edit(request, pk: int):
    return _coupon_form(request, get_object_or_404(store_coupons(request.store.pk), pk=pk))


@require_POST
@store_required
def coupon_active(request, pk: int):
    coupon = get_object_or_404(Coupon.objects.filter(store=request.store), pk=pk)
    active = request.POST.get("active") == "1"
    services.set_coupon_active(coupon=coupon, active=active)
    messages.success(request, f"Coupon {coupon.code} is {'running again' if active else 'paused'}.")
    return redirect("dashboard:coupons")


# --- Offers -------------------------------------------------------------------------------------------


@store_required
def offers(request):
    store = request.store
    page = Paginator(store_offers(store.pk), PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    for offer in page.object_list:
        offer.status = _status(offer.active, offer.starts_at, offer.ends_at, now)
    return render(request, "dashboard/promotions/offers.html", {"store": store, "page": page})


def _offer_form(request, offer: Offer | None):
    store = request.store
    initial = _local(asdict(services.offer_input(offer))) if offer else {}
    form = OfferForm(request.POST or None, store=store, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = OfferInput(**form.cleaned_data)
        try:
            if offer is None:
                saved = services.create_offer(store=store, data=data)
            else:
                saved = services.update_offer(offer=offer, data=data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Offer “{saved.name}” saved.")
            return redirect("dashboard:offers")
    context = {"store": store, "form": form, "what": "offer", "thing": offer}
    return render(request, "dashboard/promotions/form.html", context)


@store_required
def offer_create(request):
    return _offer_form(request, None)


@store_required
def offer_edit(request, pk: int):
    return _offer_form(request, get_object_or_404(store_offers(request.store.pk), pk=pk))


@require_POST
@store_required
def offer_active(request, pk: int):
    offer = get_object_or_404(Offer.objects.filter(store=request.store), pk=pk)
    active = request.POST.get("active") == "1"
    services.set_offer_active(offer=offer, active=active)
    messages.success(request, f"Offer “{offer.name}” is {'running again' if active else 'paused'}.")
    return redirect("dashboard:offers")
