"""The merchant dashboard. Views are thin: check who is asking, validate, call one service, render.

Every object is looked up through the merchant's own store, so an id from another store is a 404.
"""

from datetime import date
from functools import wraps
from urllib.parse import quote

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from dukaan.accounts import audit
from dukaan.accounts.audit import Actor
from dukaan.accounts.models import ApiToken
from dukaan.accounts.roles import SCOPES, Access, may, refusal
from dukaan.accounts.selectors import store_audit_trail
from dukaan.accounts.services import create_api_token, revoke_api_token
from dukaan.analytics.selectors import recent_days
from dukaan.catalog import services
from dukaan.catalog.addresses import store_page_url
from dukaan.catalog.models import Category, Product
from dukaan.catalog.selectors import sold_out, store_categories, store_products, stores_of
from dukaan.infra.integers import request_ids, request_int
from dukaan.orders.access import status_access
from dukaan.orders.models import Order
from dukaan.orders.selectors import store_orders
from dukaan.orders.services import IllegalTransition, change_order_status, record_status_change
from dukaan.orders.summary import order_rows
from dukaan.search.analysis import GLOBAL_SYNONYMS
from dukaan.search.service import store_synonyms_text, update_store_synonyms

from .forms import (
    ApiTokenForm,
    CategoryForm,
    ProductForm,
    StoreForm,
    SynonymsForm,
    VariantFormSet,
    parse_bulk_edits,
    variant_initial,
    variant_inputs,
)

PRODUCTS_PER_PAGE = 50
BULK_EDIT_LIMIT = 200


def speak_merchants_language(request) -> None:
    """The dashboard in the language the merchant chose; until they choose, in the one LocaleMiddleware
    found (the language cookie, then the browser's Accept-Language)."""
    if request.user.language:
        translation.activate(request.user.language)
        request.LANGUAGE_CODE = request.user.language


# The store the person chose in the store switcher (their own, or one they are on the staff of).
SESSION_STORE = "dashboard_store"


def store_required(access: Access):
    """Log in first; someone with no store and on no store's staff is sent to create one. Sets
    request.store (the chosen store, else their own, else the first they help run), request.role and
    request.stores (every store they may open, with their role); a role without `access` gets a 403
    that says who may do it, and the view does not run."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            speak_merchants_language(request)
            stores = stores_of(request.user.pk)
            if not stores:
                return redirect("dashboard:store_create")
            chosen = request.session.get(SESSION_STORE)
            request.store, request.role = next((pair for pair in stores if pair[0].pk == chosen), stores[0])
            request.stores = stores
            if not may(request.role, access):
                return refused(request, access)
            return view(request, *args, **kwargs)

        wrapper.access = access
        return wrapper

    return decorate


def refused(request, access: Access, status: int = 403):
    return render(
        request,
        "dashboard/refused.html",
        {"store": request.store, "message": refusal(access), "role": request.role},
        status=status,
    )


def _add_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form, on its field when the form has that field."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error)


@store_required(Access.DASHBOARD)
def home(request):
    store = request.store
    if not may(request.role, Access.CATALOG):
        # The home page is about the catalog and sales; a role without them starts at the orders.
        return redirect("dashboard:orders")
    counts = Product.objects.filter(store=store).aggregate(
        total=Count("id"),
        hidden=Count("id", filter=Q(is_active=False)),
        out_of_stock=Count("id", filter=sold_out()),
    )
    share_text = _("Shop at %(name)s: %(link)s") % {"name": store.name, "link": store.share_url}
    return render(
        request,
        "dashboard/home.html",
        {
            "store": store,
            "counts": counts,
            "qr_svg": segno.make(store.share_url, error="m").svg_inline(
                scale=4, title=_("QR code of your store link")
            ),
            "whatsapp_share_url": "https://wa.me/?text=" + quote(share_text),
            "days": recent_days(store=store, days=7),
        },
    )


@login_required
def store_create(request):
    """Someone on other stores' staff may still open a store of their own here (one each)."""
    speak_merchants_language(request)
    if getattr(request.user, "store", None) is not None:
        return redirect("dashboard:home")
    form = StoreForm(request.POST or None, request.FILES or None, initial={"whatsapp": request.user.phone})
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_store(
                owner=request.user, logo=form.cleaned_data["logo"], **_store_fields(form)
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            request.session[SESSION_STORE] = created.pk  # a helper of other stores now opens their own
            messages.success(request, _("Your store is ready. Share its link with your customers!"))
            return redirect("dashboard:home")
    return render(request, "dashboard/store_form.html", {"form": form, "creating": True})


@store_required(Access.SETTINGS)
def store_settings(request):
    store = request.store
    # Read before the form is bound: a refused new link must not show as the feeds' address.
    feeds = {name: store_page_url(store.slug, f"storefront:feed_{name}") for name in ("google", "meta")}
    form = StoreForm(request.POST or None, request.FILES or None, instance=store)
    owner_only = not may(request.role, Access.OWNER)
    if owner_only:
        for name in services.PAYMENT_DETAILS:
            form.fields[name].disabled = True
    if request.method == "POST" and owner_only and _payment_details_posted(request, store):
        store.refresh_from_db()
        return refused(request, Access.OWNER)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_store(
                store=store,
                logo=form.cleaned_data["logo"],
                changed_by=Actor.member(request.user, request.role),
                **_store_fields(form),
            )
        except ValidationError as error:
            store.refresh_from_db()
            _add_errors(form, error)
        else:
            messages.success(request, _("Store saved."))
            return redirect("dashboard:store_settings")
    return render(
        request,
        "dashboard/store_form.html",
        {"form": form, "store": store, "creating": False, "feeds": feeds},
    )


def _payment_details_posted(request, store) -> bool:
    """A form that asks to change a payment detail (the form shows them read-only to an Admin)."""
    return any(
        name in request.POST and request.POST[name].strip() != getattr(store, name)
        for name in services.PAYMENT_DETAILS
    )


@store_required(Access.OWNER)
def store_audit(request):
    """Who changed the store's payment details, and when: the owner's check after an SMS alert."""
    store = request.store
    lines = [audit.line(entry) for entry in store_audit_trail(store=store)]
    return render(request, "dashboard/store_audit.html", {"store": store, "lines": lines})


def _store_fields(form) -> dict:
    fields = ("name", "slug", "whatsapp", "currency", "language", "upi_id")
    return {name: form.cleaned_data[name] for name in fields}


@store_required(Access.CATALOG)
def search_synonyms(request):
    store = request.store
    saved = store_synonyms_text(store.pk)
    form = SynonymsForm(request.POST or None, initial={"text": saved})
    if request.method == "POST" and form.is_valid():
        try:
            update_store_synonyms(store=store, text=form.cleaned_data["text"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Synonyms saved. Searches in your store use them from now on."))
            return redirect("dashboard:search_synonyms")
    return render(
        request,
        "dashboard/search_synonyms.html",
        {"store": store, "form": form, "global_examples": GLOBAL_SYNONYMS[:3]},
    )


@store_required(Access.CATALOG)
def products(request):
    store = request.store
    query = request.GET.get("q", "").strip()[:100]
    category_id = request.GET.get("category", "")
    visibility = request.GET.get("show", "")
    listing = store_products(
        store=store,
        query=query,
        category_id=request_int(category_id),
        visibility=visibility,
    )
    page = Paginator(listing, PRODUCTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/products.html",
        {
            "store": store,
            "page": page,
            "query": query,
            "category_id": category_id,
            "visibility": visibility,
            "categories": store_categories(store),
            "filter_query": _without_page(request),
        },
    )


def _without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@store_required(Access.CATALOG)
def product_create(request):
    return _product_form(request, product=None)


@store_required(Access.CATALOG)
def product_edit(request, pk: int):
    product = get_object_or_404(Product.objects.filter(store=request.store), pk=pk)
    return _product_form(request, product=product)


def _product_form(request, *, product: Product | None):
    store = request.store
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form = ProductForm(data, files, instance=product, store=store)
    formset = VariantFormSet(data, prefix="variants", initial=variant_initial(product) if product else None)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        fields = {name: form.cleaned_data[name] for name in services.PRODUCT_FIELDS}
        try:
            if product is None:
                product = services.create_product(
                    store=store,
                    variants=variant_inputs(formset),
                    new_images=form.cleaned_data["new_images"],
                    **fields,
                )
            else:
                remove = request_ids(request.POST.getlist("remove_image"))
                services.update_product(
                    product=product,
                    changed_by=Actor.member(request.user, request.role),
                    variants=variant_inputs(formset),
                    new_images=form.cleaned_data["new_images"],
                    remove_image_ids=remove,
                    **fields,
                )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Saved “%(name)s”.") % {"name": product.name})
            return redirect("dashboard:product_edit", pk=product.pk)
    return render(
        request,
        "dashboard/product_form.html",
        {"store": store, "form": form, "formset": formset, "product": product},
    )


@require_POST
@store_required(Access.CATALOG)
def product_visibility(request, pk: int):
    product = get_object_or_404(Product.objects.filter(store=request.store), pk=pk)
    show = request.POST.get("show") == "1"
    services.update_product(product=product, is_active=show)
    shown = (
        _("“%(name)s” is now visible in your store.")
        if show
        else _("“%(name)s” is now hidden in your store.")
    )
    messages.success(request, shown % {"name": product.name})
    next_url = request.POST.get("next", "")
    return redirect(next_url if next_url.startswith("/dashboard/") else "dashboard:products")


@store_required(Access.CATALOG)
def product_delete(request, pk: int):
    product = get_object_or_404(Product.objects.filter(store=request.store), pk=pk)
    if request.method == "POST":
        name = product.name
        services.delete_product(product=product)
        messages.success(request, _("Deleted “%(name)s”.") % {"name": name})
        return redirect("dashboard:products")
    return render(request, "dashboard/product_delete.html", {"store": request.store, "product": product})


@store_required(Access.CATALOG)
def bulk_edit(request):
    store = request.store
    products_on_page = list(
        store_products(store=store, query=request.GET.get("q", "").strip()[:100])[:BULK_EDIT_LIMIT]
    )
    errors: list[str] = []
    if request.method == "POST":
        own = dict(Product.objects.filter(store=store, pk__in=_posted_ids(request)).values_list("pk", "name"))
        edits, errors = parse_bulk_edits(request.POST, own)
        if not errors:
            try:
                changed = services.bulk_edit_products(
                    store=store, edits=edits, changed_by=Actor.member(request.user, request.role)
                )
            except ValidationError as error:
                errors = error.messages
            else:
                messages.success(
                    request,
                    ngettext("Updated %(count)d product.", "Updated %(count)d products.", changed)
                    % {"count": changed},
                )
                return redirect("dashboard:products")
        posted = {key: value for key, value in request.POST.items()}
        for product in products_on_page:
            product.form_price = posted.get(f"price_{product.pk}", product.price)
            product.form_stock = posted.get(f"stock_{product.pk}", product.stock)
    return render(
        request,
        "dashboard/bulk_edit.html",
        {"store": store, "products": products_on_page, "errors": errors, "limit": BULK_EDIT_LIMIT},
    )


def _posted_ids(request) -> list[int]:
    return request_ids(request.POST.getlist("product"))[:BULK_EDIT_LIMIT]


@store_required(Access.CATALOG)
def categories(request):
    store = request.store
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_category(store=store, name=form.cleaned_data["name"])
        except ValidationError:
            form.add_error("name", _("You already have a category with that name."))
        else:
            messages.success(request, _("Added category “%(name)s”.") % {"name": form.cleaned_data["name"]})
            return redirect("dashboard:categories")
    listing = store_categories(store).annotate(product_count=Count("products"))
    return render(request, "dashboard/categories.html", {"store": store, "form": form, "categories": listing})


@require_POST
@store_required(Access.CATALOG)
def category_rename(request, pk: int):
    category = get_object_or_404(Category.objects.filter(store=request.store), pk=pk)
    form = CategoryForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the category a name."))
    else:
        try:
            services.rename_category(category=category, name=form.cleaned_data["name"])
        except ValidationError:
            messages.error(request, _("You already have a category with that name."))
        else:
            messages.success(request, _("Category renamed."))
    return redirect("dashboard:categories")


@require_POST
@store_required(Access.CATALOG)
def category_delete(request, pk: int):
    category = get_object_or_404(Category.objects.filter(store=request.store), pk=pk)
    name = category.name
    services.delete_category(category=category)
    messages.success(
        request, _("Deleted category “%(name)s”. Its products are kept, without a category.") % {"name": name}
    )
    return redirect("dashboard:categories")


ORDERS_PER_PAGE = 30
# The orders list's payment filter, ?payment=…: the word in the URL, the status it stands for, its label.
PAYMENT_FILTERS = {
    "unpaid": (Order.PaymentStatus.PENDING, gettext_lazy("Unpaid")),
    "partly_paid": (Order.PaymentStatus.PARTLY_PAID, gettext_lazy("Partly paid")),
    "paid": (Order.PaymentStatus.PAID, gettext_lazy("Paid")),
    "refunded": (Order.PaymentStatus.REFUNDED, gettext_lazy("Refunded")),
}


@store_required(Access.ORDERS)
def orders(request):
    store = request.store
    status = request.GET.get("status", "")
    if status not in Order.Status.values:
        status = ""
    payment = request.GET.get("payment", "")
    if payment not in PAYMENT_FILTERS:
        payment = ""
    day = _parse_day(request.GET.get("day", ""))
    payment_status = PAYMENT_FILTERS[payment][0] if payment else ""
    found = store_orders(store=store, status=status, day=day, payment_status=payment_status)
    page = Paginator(found, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/orders.html",
        {
            "store": store,
            "page": page,
            "status": status,
            "day": day,
            "statuses": Order.Status.choices,
            "payment": payment,
            "payments": [(value, label) for value, (_, label) in PAYMENT_FILTERS.items()],
            "filter_query": _without_page(request),
        },
    )


def _parse_day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


# The buttons an order shows in each state: (target status, label, style).
NEXT_STEPS = {
    Order.Status.UNCONFIRMED: [
        (Order.Status.PLACED, gettext_lazy("Confirm for the buyer"), ""),
        (Order.Status.CANCELLED, gettext_lazy("Cancel order"), "danger"),
    ],
    Order.Status.PLACED: [
        (Order.Status.ACCEPTED, gettext_lazy("Accept"), ""),
        (Order.Status.CANCELLED, gettext_lazy("Cancel order"), "danger"),
    ],
    Order.Status.ACCEPTED: [  # shipping takes a courier: the Shipping card's form (dashboard/fulfilment.py)
        (Order.Status.CANCELLED, gettext_lazy("Cancel order"), "danger"),
    ],
    Order.Status.SHIPPED: [
        (Order.Status.DELIVERED, gettext_lazy("Mark delivered"), ""),
        (Order.Status.RETURNED, gettext_lazy("Returned to origin (RTO)"), "danger"),
    ],
}


@store_required(Access.ORDERS)
def order_detail(request, number: int):
    order = get_object_or_404(
        Order.objects.filter(store=request.store).prefetch_related("lines", "discounts", "charges"),
        number=number,
    )
    if request.method == "POST":
        status = request.POST.get("status", "")
        if not may(request.role, status_access(status)):
            return refused(request, status_access(status))
        before = order.status
        try:
            with transaction.atomic():
                order = change_order_status(order=order, status=status, by="shop")
                record_status_change(
                    store=request.store,
                    order=order,
                    actor=Actor.member(request.user, request.role),
                    before=before,
                    after=status,
                )
        except IllegalTransition as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Order #%(number)s is now %(status)s.")
                % {"number": order.number, "status": order.get_status_display().lower()},
            )
        return redirect("dashboard:order_detail", number=order.number)
    return render(
        request,
        "dashboard/order_detail.html",
        {
            "store": request.store,
            "order": order,
            "summary": order_rows(order),
            "next_steps": [
                step for step in NEXT_STEPS.get(order.status, []) if may(request.role, status_access(step[0]))
            ],
        },
    )


@store_required(Access.DASHBOARD)
def api_tokens(request):
    """Everyone on the staff may make tokens, with no more than their role allows; the owner and Admins
    see and revoke every token, the others only their own."""
    store = request.store
    new_token = None
    status = 200
    form = ApiTokenForm(request.POST or None, allowed=SCOPES[request.role])
    if request.method == "POST" and form.is_valid():
        try:
            token, new_token = create_api_token(
                store=store,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                created_by=request.user,
                role=request.role,
            )
        except ValidationError as error:
            _add_errors(form, error)
        except PermissionDenied as error:
            form.add_error("scopes", str(error))
            status = 403
        else:
            form = ApiTokenForm(allowed=SCOPES[request.role])
            messages.success(
                request,
                _("Token “%(name)s” created. Copy it now: it will not be shown again.")
                % {"name": token.name},
            )
    return render(
        request,
        "dashboard/api_tokens.html",
        {"store": store, "form": form, "new_token": new_token, "tokens": _tokens(request)},
        status=status,
    )


def _tokens(request):
    tokens = ApiToken.objects.filter(store=request.store)
    return tokens if may(request.role, Access.SETTINGS) else tokens.filter(created_by=request.user)


@require_POST
@store_required(Access.DASHBOARD)
def api_token_revoke(request, pk: int):
    token = get_object_or_404(_tokens(request), pk=pk)
    revoke_api_token(token=token)
    messages.success(
        request, _("Token “%(name)s” revoked. Anything using it is now refused.") % {"name": token.name}
    )
    return redirect("dashboard:api_tokens")
