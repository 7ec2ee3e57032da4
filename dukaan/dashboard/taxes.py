"""The dashboard's Tax page (GST settings, categories' rates) and the GST block of a product.

Thin like views.py: validate the form, call one taxes service, render. Nothing is saved when a
service refuses; its messages go on the form's fields.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dukaan.accounts.roles import Access
from dukaan.catalog.models import Category, Product
from dukaan.catalog.selectors import store_categories
from dukaan.taxes import selectors, services
from dukaan.taxes.schedule import day_text, percent

from .taxes_forms import CategoryTaxForm, TaxRateForm, TaxSettingsForm, rate_value
from .views import _add_errors, store_required

SETTINGS_FIELDS = (
    "gstin",
    "state_code",
    "prices_include_tax",
    "legal_name",
    "address",
    "default_hsn",
    "default_rate",
)


def _settings_page(request, *, form, category_form):
    store = request.store
    current = selectors.category_rates(store.pk, timezone.localdate())
    categories = [(category, current.get(category.pk)) for category in store_categories(store)]
    return render(
        request,
        "dashboard/taxes/settings.html",
        {
            "store": store,
            "form": form,
            "category_form": category_form,
            "categories": categories,
            "registered": selectors.tax_terms(store.pk).registered,
        },
    )


def _saved_settings(store_id: int) -> dict:
    saved = selectors.tax_settings(store_id)
    return {
        **{name: getattr(saved, name) for name in SETTINGS_FIELDS},
        "default_rate": rate_value(saved.default_rate),
    }


@store_required(Access.SETTINGS)
def tax_settings(request):
    store = request.store
    form = TaxSettingsForm(request.POST or None, initial=_saved_settings(store.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.save_tax_settings(store=store, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Tax settings saved. New orders use them."))
            return redirect("dashboard:tax_settings")
    return _settings_page(request, form=form, category_form=CategoryTaxForm(store=store))


@require_POST
@store_required(Access.SETTINGS)
def category_tax(request):
    store = request.store
    form = CategoryTaxForm(request.POST, store=store)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.set_tax_rate(
                store=store,
                category=data["category"],
                hsn_code=data["hsn_code"],
                rate=data["rate"],
                valid_from=data["valid_from"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            rate, day = percent(data["rate"]), day_text(data["valid_from"])
            messages.success(
                request,
                _("“%(name)s”: %(rate)s GST from %(day)s.")
                % {"name": data["category"].name, "rate": rate, "day": day},
            )
            return redirect("dashboard:tax_settings")
    settings_form = TaxSettingsForm(initial=_saved_settings(store.pk))
    return _settings_page(request, form=settings_form, category_form=form)


@require_POST
@store_required(Access.SETTINGS)
def category_tax_clear(request, pk: int):
    category = get_object_or_404(Category.objects.filter(store=request.store), pk=pk)
    services.clear_tax_rate(store=request.store, category=category)
    messages.success(
        request,
        _("“%(name)s” has no GST rate of its own now: its products use the default.")
        % {"name": category.name},
    )
    return redirect("dashboard:tax_settings")


@require_POST
@store_required(Access.SETTINGS)
def product_tax(request, pk: int):
    product = get_object_or_404(Product.objects.filter(store=request.store), pk=pk)
    form = TaxRateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.set_tax_rate(store=request.store, product=product, **data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("GST of “%(name)s”: %(rate)s from %(day)s.")
                % {"name": product.name, "rate": percent(data["rate"]), "day": day_text(data["valid_from"])},
            )
            return redirect("dashboard:product_edit", pk=product.pk)
    return render(
        request, "dashboard/taxes/product.html", {"store": request.store, **product_gst(product, form)}
    )


@require_POST
@store_required(Access.SETTINGS)
def product_tax_clear(request, pk: int):
    product = get_object_or_404(Product.objects.filter(store=request.store), pk=pk)
    services.clear_tax_rate(store=request.store, product=product)
    messages.success(
        request, _("“%(name)s” now uses its category's GST rate, or the default.") % {"name": product.name}
    )
    return redirect("dashboard:product_edit", pk=product.pk)


def product_gst(product: Product, form: TaxRateForm | None = None) -> dict:
    """What the GST block of a product shows: its own rates by date, the rate that applies today
    (its own, its category's or the store's default) and the form to set one."""
    today = timezone.localdate()
    history = selectors.rate_history(product.store_id, product_id=product.pk)
    now = selectors.rates_for(product.store_id, [(product.pk, product.category_id)], today).get(product.pk)
    if form is None:
        latest = history[0] if history else now
        form = TaxRateForm(
            initial={"hsn_code": latest.hsn_code, "rate": rate_value(latest.rate)} if latest else {}
        )
    return {
        "product": product,
        "gst_form": form,
        "history": history,
        "now": now,
        "today": today,
        "registered": selectors.tax_terms(product.store_id).registered,
    }
