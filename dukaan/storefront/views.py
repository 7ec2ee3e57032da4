"""Public store pages, the cart and the checkout. No login; only visible products.

Browsing pages render from a page's catalog snapshot (`catalog.snapshot.store_catalog` with the
products the page shows, read through the catalog cache: its cost is the page's, not the store's);
the cart (`orders.cart`), checkout and order pages price and place orders through the orders app.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import wraps
from urllib.parse import quote as urlquote
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dukaan.catalog.addresses import store_base_url, store_page_url
from dukaan.catalog.domains import verified_domain
from dukaan.catalog.models import Store
from dukaan.catalog.policies import TITLES, policy_text
from dukaan.catalog.selectors import NO_STORE, moved_slug, store_look, store_policies
from dukaan.catalog.snapshot import (
    CatalogCategory,
    CatalogProduct,
    ListingPage,
    ProductsById,
    Shown,
    StoreCatalog,
    absolute_url,
    listing_page,
    store_catalog,
)
from dukaan.catalog.templatetags.money import money
from dukaan.infra.clients import client_address, count_request, wait_text
from dukaan.infra.i18n import CODES, speak_to_buyer
from dukaan.infra.not_found import NotHere
from dukaan.orders.cart import Cart, CartRefused, Line
from dukaan.orders.payments import upi_link
from dukaan.orders.selectors import Choices, Quote, draft_for_link, order_for_buyer, quote_cart
from dukaan.orders.services import (
    Buyer,
    CheckoutRefused,
    DraftRefused,
    OrderLimited,
    PricesChanged,
    TotalChanged,
    place_order,
    save_draft,
)
from dukaan.orders.summary import order_rows, quote_rows
from dukaan.payments.gateways import get_gateway
from dukaan.payments.services import PaymentUnavailable, start_online_payment
from dukaan.promotions.rules import normalize_code
from dukaan.search.backend import SORTS, SearchQuery, SearchResults
from dukaan.search.service import MAX_FILTER_PRICE, search_products
from dukaan.shipping.rules import delivery_message, valid_pin

from .catalog_cache import PER_PAGE
from .domains import CART_PARAM, permanent_redirect, take_cart, to_own_domain
from .forms import AddToCartForm, CartLineForm, CheckoutForm, submitted_quantities
from .found import forget_found_store, found_store, found_store_or_404
from .seo import kept_at_the_edge, product_json_ld
from .view_counts import record_view

SEARCH_MAX_LENGTH = 100
# Pages with the buyer's cart, details or order: never kept by a shared cache.
personal = cache_control(private=True, no_store=True)
# The cookies that make a browsing page this buyer's own: the session (their cart count) and a
# pending flash message. The edge (deploy/varnish/default.vcl) passes requests carrying them.
PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, "messages")


@dataclass(frozen=True)
class Seo:
    """What a page says about itself to search engines and link previews (WhatsApp, Facebook, X)."""

    title: str
    og_title: str
    description: str
    url: str
    image: str = ""
    type: str = "website"
    noindex: bool = False
    json_ld: str = ""  # schema.org data for a <script type="application/ld+json">, escaped for it


def _summary(text: str, length: int = 160) -> str:
    return Truncator(" ".join(text.split())).chars(length)


def follows_moved_store(view):
    """Wrap a view of /s/<slug>/…: a link with a store's old slug (given up within
    RELEASED_SLUG_DAYS), which finds no store there, is answered with a permanent redirect to the same
    address under the store's current slug. 301 for GET and HEAD; 308 for a form posted to the old
    address (an add to cart from a page opened before the change), so the browser posts it again.

    The store may take the old link back, which would turn a redirect kept by a browser into a loop:
    so no one keeps it (`no-cache`; the edge keeps no redirect anyway).

    Also the way to a store's own domain (docs/domains.md): on the platform's hosts, a store with a
    verified domain is answered there (domains.to_own_domain), its domain read with the store itself
    (found.py); on the domain, a cart handed over from the platform is taken in (domains.take_cart)."""

    @wraps(view)
    def wrapper(request, *args, slug: str, **kwargs):
        forget_found_store()
        # Asked on the domain too: the page's links ask it next, and the page reads the store anyway.
        domain = verified_domain(slug, lambda: (found_store(slug) or NO_STORE).domain)
        on_the_domain = getattr(request, "domain_store_slug", None) is not None
        if domain and not on_the_domain:
            return to_own_domain(request, slug, domain)
        if on_the_domain and CART_PARAM in request.GET and request.method == "GET":
            return take_cart(request, slug)
        try:
            return view(request, *args, slug=slug, **kwargs)
        except Http404:
            new_slug = moved_slug(slug)
            if new_slug is None:
                raise
        match = request.resolver_match
        location = reverse(match.view_name, kwargs={**match.kwargs, "slug": new_slug})
        if request.META.get("QUERY_STRING"):
            location += "?" + request.META["QUERY_STRING"]
        response = permanent_redirect(request, location)
        patch_cache_control(response, no_cache=True, max_age=0)
        return response

    return wrapper


def _store_id_or_404(request, slug: str) -> int:
    """The store's id; the page speaks its language from here on (the buyer's pick first)."""
    found = found_store_or_404(slug)
    speak_to_buyer(request.COOKIES, found.language)
    return found.id


def _store_or_404(request, slug: str) -> Store:
    """The store's row, for the buyer's own pages (cart, checkout), which speak its language too."""
    store = get_object_or_404(Store, slug=slug)
    speak_to_buyer(request.COOKIES, store.language)
    return store


def _catalog_or_404(request, slug: str, shown: Shown | None = None) -> StoreCatalog:
    """The store's catalog: the whole of it, or with `shown` only what one page shows."""
    return _store_catalog_or_404(_store_id_or_404(request, slug), shown)


def _store_catalog_or_404(store_id: int, shown: Shown | None) -> StoreCatalog:
    catalog = store_catalog(store_id, shown)
    if catalog is None:  # the store went away after its slug was looked up
        raise NotHere(_("There is no store at this link."))
    return catalog


def _page_number(request) -> int:
    """?page= as Paginator.get_page reads it: anything but a whole number is page 1; a number below 1
    (0 here) or past the end is the last page. Bounded, since it names a cached page's catalog."""
    try:
        number = int(request.GET.get("page") or 1)
    except ValueError:
        return 1
    return number if 1 <= number <= 10**9 else 0


def _listing_catalog(request, slug: str, category_id: int | None = None) -> tuple[StoreCatalog, int]:
    number = _page_number(request)
    return _catalog_or_404(request, slug, ListingPage(category_id, number, PER_PAGE)), number


def _page(catalog: StoreCatalog, total: int, number: int) -> Page:
    """The page of a listing of `total` products that a page's catalog holds the products of."""
    page = listing_page(total, number, PER_PAGE)
    page.object_list = catalog.products
    return page


def _page_url(url: str, page: Page) -> str:
    return url + (f"?page={page.number}" if page.number > 1 else "")


def _render(request, template: str, *, store, seo: Seo, cart_count: int | None = None, **context):
    if cart_count is None:
        cart_count = Cart(
            request.session, store.store_id if isinstance(store, StoreCatalog) else store.pk
        ).count
    context.setdefault("look", store.look if isinstance(store, StoreCatalog) else store_look(store.pk))
    context.update(
        store=store,
        seo=seo,
        cart_count=cart_count,
        whatsapp_digits=_digits(store.whatsapp),
        languages=settings.LANGUAGES,  # for the switch, each named in itself
    )
    return render(request, template, context)


def _for_the_edge(request, response, catalog: StoreCatalog, product_ids):
    """Mark a browsing page for shared caches: public with s-maxage and stale-while-revalidate for an
    anonymous buyer, tagged `xkey: store-<id> product-<id> …` so a catalog event purges it (see
    consumers.purge_edge); private for a buyer with a session, whose page shows their own cart.
    A page drawn from the previous copy of the snapshot (served while another process rebuilds it
    after a change) may show an old price: answered, but kept by no shared cache."""
    if any(name in request.COOKIES for name in PERSONAL_COOKIES):
        patch_cache_control(response, private=True, max_age=0)
        return response
    if catalog.is_previous_copy:
        patch_cache_control(response, no_cache=True, max_age=0)
        return response
    return kept_at_the_edge(response, [f"store-{catalog.store_id}", *(f"product-{pk}" for pk in product_ids)])


def _counted(response, store_id: int, product_id: int | None = None) -> None:
    """Count the page view, and tell the storefront service (service.py) which view a copy of this
    page stands for, so it counts the same view when it serves the copy from memory."""
    record_view(store_id, product_id)
    response.counted_view = (store_id, product_id)


def _digits(phone: str) -> str:
    """A phone number as wa.me wants it: digits only, country code first."""
    return "".join(ch for ch in phone if ch.isdigit())


def _store_image(catalog: StoreCatalog) -> str:
    if catalog.logo_url:
        return absolute_url(catalog.logo_url)
    return absolute_url(catalog.cover.large_url) if catalog.cover else ""


def _store_description(catalog: StoreCatalog, category: CatalogCategory | None = None) -> str:
    count = category.product_count if category else catalog.product_count
    items = ngettext("%(count)s product", "%(count)s products", count) % {"count": count}
    if category:
        where = _("%(category)s at %(store)s") % {"category": category.name, "store": catalog.name}
    else:
        where = _("Shop %(store)s online") % {"store": catalog.name}
    if catalog.upi_id:
        return _("%(where)s: %(items)s. Order in a few taps and pay by cash on delivery or UPI.") % {
            "where": where,
            "items": items,
        }
    return _("%(where)s: %(items)s. Order in a few taps and pay by cash on delivery.") % {
        "where": where,
        "items": items,
    }


# --- Browsing -----------------------------------------------------------------------------------


def _listing(request, catalog: StoreCatalog, page, seo: Seo, category: CatalogCategory | None = None):
    """A page of the store's products, all of them or one category's."""
    response = _render(
        request, "storefront/store_home.html", store=catalog, seo=seo, page=page, current_category=category
    )
    _counted(response, catalog.store_id)
    return _for_the_edge(request, response, catalog, [item.id for item in page])


def store_home(request, slug: str):
    catalog, number = _listing_catalog(request, slug)
    page = _page(catalog, catalog.product_count, number)
    seo = Seo(
        title=catalog.name,
        og_title=catalog.name,
        description=_store_description(catalog),
        url=_page_url(store_base_url(catalog.slug), page),
        image=_store_image(catalog),
    )
    return _listing(request, catalog, page, seo)


def category(request, slug: str, category_id: int):
    catalog, number = _listing_catalog(request, slug, category_id)
    found = catalog.category(category_id)
    if found is None:
        raise NotHere(_("This category is not in the store."))
    page = _page(catalog, found.product_count, number)
    first_image = catalog.category_cover
    seo = Seo(
        title=f"{found.name} · {catalog.name}",
        og_title=_("%(category)s at %(store)s") % {"category": found.name, "store": catalog.name},
        description=_store_description(catalog, found),
        url=_page_url(store_page_url(catalog.slug, "storefront:category", found.id), page),
        image=absolute_url(first_image.large_url) if first_image else _store_image(catalog),
    )
    return _listing(request, catalog, page, seo, found)


def product(request, slug: str, product_id: int):
    catalog = _catalog_or_404(request, slug, ProductsById((product_id,)))
    item = catalog.product(product_id)
    if item is None:
        raise NotHere(_("This product is not in the store."))
    price = money(item.min_price, catalog)
    offer = _("From %(price)s") % {"price": price} if item.price_varies else price
    if item.discount_percent:
        off = _("%(percent)s%% off") % {"percent": item.discount_percent}
        offer += f" ({off} {money(item.compare_at_price, catalog)})"
    if not item.in_stock:
        offer += " · " + _("Out of stock")
    url = store_page_url(catalog.slug, "storefront:product", item.id)
    seo = Seo(
        title=f"{item.name} · {catalog.name}",
        og_title=item.name,
        description=_summary(
            f"{offer}. {item.description}"
            if item.description
            else _("%(price)s at %(store)s.") % {"price": offer, "store": catalog.name}
        ),
        url=url,
        image=absolute_url(item.image.large_url) if item.image else _store_image(catalog),
        type="product",
        json_ld=product_json_ld(catalog, item, url),
    )
    in_stock = [variant for variant in item.variants if variant.in_stock]
    response = _render(
        request,
        "storefront/product.html",
        store=catalog,
        seo=seo,
        product=item,
        category=catalog.category(item.category_id) if item.category_id else None,
        # One choice left needs no choosing; with several, the buyer must pick (no silent default size).
        chosen_variant_id=in_stock[0].id if len(in_stock) == 1 else None,
        max_quantity=_max_quantity(item),
    )
    _counted(response, catalog.store_id, item.id)
    return _for_the_edge(request, response, catalog, [item.id])


def policy(request, slug: str, kind: str):
    """One of the store's policy pages: the shopkeeper's text, or the starting text with the store's name."""
    if kind not in TITLES:
        raise NotHere(_("The store has no such policy: see its returns, shipping, privacy or terms."))
    catalog = _catalog_or_404(request, slug, ProductsById(()))
    text = policy_text(kind, store_policies(catalog.store_id)[kind], catalog.name)
    title = str(TITLES[kind])
    seo = Seo(
        title=f"{title} · {catalog.name}",
        og_title=_("%(category)s at %(store)s") % {"category": title, "store": catalog.name},
        description=_summary(text),
        url=store_page_url(catalog.slug, "storefront:policy", kind),
        image=_store_image(catalog),
    )
    response = _render(request, "storefront/policy.html", store=catalog, seo=seo, title=title, text=text)
    return _for_the_edge(request, response, catalog, [])


def _max_quantity(item: CatalogProduct) -> int:
    stocks = [variant.stock for variant in item.variants] if item.variants else [item.stock]
    if any(stock is None for stock in stocks):
        return settings.ORDER_MAX_QUANTITY
    return max(1, min(settings.ORDER_MAX_QUANTITY, max(stocks)))


SORT_LABELS = {
    "relevance": gettext_lazy("Best match"),
    "price_asc": gettext_lazy("Price: low to high"),
    "price_desc": gettext_lazy("Price: high to low"),
    "newest": gettext_lazy("Newest first"),
}
# Deeper pages are not worth an engine's time: nobody reads page 100 of a store's search.
SEARCH_MAX_PAGE = 100


def _whole_number(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _filter_price(raw: str | None) -> Decimal | None:
    """A price filter as typed ("499", "499.50"); None for anything else, which is then ignored."""
    try:
        amount = Decimal((raw or "").strip().replace(",", ""))
    except ArithmeticError:
        return None
    return amount if amount.is_finite() and 0 <= amount <= MAX_FILTER_PRICE else None


def _search_params(request) -> dict:
    """The search page's GET parameters, each one that is missing or not understood left out: a
    link with a bad price or sort still shows the buyer results. A category the store does not have
    is dropped by the view, which knows the store's categories only once it has searched."""
    get = request.GET
    params = {
        "q": " ".join(get.get("q", "").split())[:SEARCH_MAX_LENGTH],
        "category": _whole_number(get.get("category")),
        "min_price": _filter_price(get.get("min_price")),
        "max_price": _filter_price(get.get("max_price")),
        "in_stock": get.get("in_stock") in ("1", "on", "true"),
        "sort": get.get("sort") if get.get("sort") in SORTS else "relevance",
    }
    unset = {"q": "", "category": 0, "in_stock": False, "sort": "relevance"}
    return {name: value for name, value in params.items() if value is not None and value != unset.get(name)}


def _search_url(params: dict, **changes) -> str:
    """This search with some parameters changed (None drops one), as a query string."""
    merged = {**params, **changes}
    return "?" + urlencode(
        {name: "1" if value is True else value for name, value in merged.items() if value is not None}
    )


def _found(results: tuple[SearchResults, int] | None) -> ProductsById:
    return ProductsById(tuple(hit.product_id for hit in results[0].hits) if results else ())


def _search_results(store_id: int, params: dict, number: int) -> tuple[SearchResults, int]:
    """The engine's answer for one page of a search (the last page if `number` is past the end)."""
    search_query = SearchQuery(
        store_id=store_id,
        text=params.get("q", ""),
        category_id=params.get("category"),
        min_price=params.get("min_price"),
        max_price=params.get("max_price"),
        in_stock=params.get("in_stock", False),
        sort=params.get("sort", "relevance"),
        offset=(number - 1) * PER_PAGE,
        limit=PER_PAGE,
    )
    results = search_products(search_query)
    pages = max(1, -(-results.total // PER_PAGE))
    if number > pages:  # a page past the end (the catalog shrank since the link was made): the last
        number = pages
        results = search_products(replace(search_query, offset=(number - 1) * PER_PAGE))
    return results, number


def search(request, slug: str):
    params = _search_params(request)
    number = min(_whole_number(request.GET.get("page")) or 1, SEARCH_MAX_PAGE)
    store_id = _store_id_or_404(request, slug)
    results = _search_results(store_id, params, number) if params else None
    # One catalog for the page: the store, its categories and the products found. (A search built two
    # before, the store's and the hits', each a snapshot build on the edge's first visit of the page.)
    catalog = _store_catalog_or_404(store_id, _found(results))
    if "category" in params and catalog.category(params["category"]) is None:
        del params["category"]  # not one of the store's: searched again as if none was asked
        results = _search_results(store_id, params, number) if params else None
        catalog = _store_catalog_or_404(store_id, _found(results))
    query = params.get("q", "")
    seo = Seo(
        title=_("Search %(store)s") % {"store": catalog.name} + (f": {query}" if query else ""),
        og_title=catalog.name,
        description=_store_description(catalog),
        url=store_base_url(catalog.slug),
        image=_store_image(catalog),
        noindex=True,
    )
    if results is None:
        response = _render(request, "storefront/search.html", store=catalog, seo=seo, searching=False)
        return _for_the_edge(request, response, catalog, [])
    results, number = results
    pages = max(1, -(-results.total // PER_PAGE))
    # Products from the snapshot, as every other page shows them; a hit the snapshot does not hold
    # (changed a moment ago) is left out rather than shown half.
    shown = [(catalog.product(hit.product_id), hit) for hit in results.hits]
    shown = [(item, hit) for item, hit in shown if item is not None]
    hits = [(item, hit.highlighted_name) for item, hit in shown if not hit.related]
    related_hits = [(item, hit.highlighted_name) for item, hit in shown if hit.related]
    facets = [
        (category, facet.count, _search_url(params, category=category.id))
        for facet in results.categories
        if (category := catalog.category(facet.category_id)) is not None
    ]
    response = _render(
        request,
        "storefront/search.html",
        store=catalog,
        seo=seo,
        searching=True,
        query=query,
        params=params,
        filters_set=bool(params.keys() & {"min_price", "max_price", "in_stock", "sort"}),
        narrowed=bool(params.keys() & {"category", "min_price", "max_price", "in_stock"}),
        total=results.total,
        exact_total=results.total - results.related,
        hits=hits,
        related_hits=related_hits,
        did_you_mean_url=_search_url(params, q=results.did_you_mean, page=None)
        if results.did_you_mean
        else "",
        did_you_mean=results.did_you_mean,
        facets=facets,
        all_categories_url=_search_url(params, category=None),
        current_category=catalog.category(params["category"]) if "category" in params else None,
        sorts=SORT_LABELS.items(),
        number=number,
        pages=pages,
        previous_url=_search_url(params, page=number - 1) if number > 1 else "",
        next_url=_search_url(params, page=number + 1) if number < pages else "",
    )
    return _for_the_edge(request, response, catalog, [item.id for item, _ in shown])


# --- Cart ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CartRow:
    """A cart line as the cart and checkout pages show it."""

    key: str
    name: str
    quantity: int
    image_url: str = ""
    unit_price: Decimal | None = None
    line_total: Decimal | None = None
    problem: str = ""


def _cart_rows(lines: list[Line], quote) -> list[CartRow]:
    quoted = {(q.product_id, q.variant_id): q for q in (quote.lines if quote else [])}
    rows = []
    for line in lines:
        q = quoted.get((line.product_id, line.variant_id))
        if q is None:
            name = line.name or _("This item")
            problem = _("%(name)s is no longer available.") % {"name": name}
            rows.append(CartRow(line.key, name, line.quantity, problem=problem))
            continue
        name = f"{q.name} ({q.variant_label})" if q.variant_label else q.name
        problem = ""
        if q.available is not None and q.available < line.quantity:
            if q.available <= 0:
                problem = _("%(name)s is out of stock.") % {"name": name}
            else:
                problem = _("Only %(count)s left of %(name)s.") % {"count": q.available, "name": name}
        rows.append(
            CartRow(line.key, name, line.quantity, q.image_url, q.unit_price, q.line_total, problem=problem)
        )
    return rows


def _quote(store: Store, cart: Cart, *, cash_on_delivery: bool = False) -> Quote | None:
    choices = Choices(coupon_code=cart.coupon_code, pin_code=cart.pin_code, cash_on_delivery=cash_on_delivery)
    return quote_cart(store=store, lines=cart.order_lines(), choices=choices) if cart else None


def _pricing(store: Store, cart: Cart, quote: Quote | None) -> dict:
    """What the cart and checkout pages show of the quote's pricing, and the buyer's PIN and code."""
    pricing = quote.pricing if quote else None
    delivery = pricing.delivery if pricing else None
    message = delivery_message(delivery, lambda amount: money(amount, store)) if delivery else ""
    return {
        # The PIN step says it already when the shop does not deliver there.
        "problems": [p for p in (quote.problems if quote else []) if p.rstrip(".") != message.rstrip(".")],
        # No sums for a PIN code the shop does not deliver to: nothing can be ordered there.
        "summary": quote_rows(pricing) if pricing and (delivery is None or delivery.deliverable) else [],
        "pin_code": cart.pin_code,
        "delivery_message": message,
        "delivers": bool(delivery and delivery.deliverable),
        "coupon_code": cart.coupon_code,
        "coupon_note": pricing.coupon_note if pricing else "",
    }


def _back_to(store: Store, page: str | None):
    return redirect("storefront:checkout" if page == "checkout" else "storefront:cart", slug=store.slug)


@require_POST
def cart_pin(request, slug: str):
    """The buyer's PIN code: the page then says whether the shop delivers there, and for what fee."""
    store = _store_or_404(request, slug)
    try:
        Cart(request.session, store.pk).pin_code = valid_pin(request.POST.get("pin_code", ""))
    except ValueError as error:
        messages.error(request, str(error))
    return _back_to(store, request.POST.get("next"))


@require_POST
def cart_coupon(request, slug: str):
    """Apply a coupon code to the cart, or remove it; the page then shows the saving or why not."""
    store = _store_or_404(request, slug)
    cart = Cart(request.session, store.pk)
    if request.POST.get("remove"):
        cart.coupon_code = ""
    else:
        try:
            cart.coupon_code = normalize_code(request.POST.get("code", ""))
        except ValueError as error:
            messages.error(request, str(error))
    return _back_to(store, request.POST.get("next"))


def _cart_seo(store: Store, title: str, path: str) -> Seo:
    return Seo(
        title=f"{title} · {store.name}",
        og_title=store.name,
        description=_("Shop %(store)s online") % {"store": store.name},
        url=settings.SITE_URL + path,
        image=absolute_url(store.logo_url),
        noindex=True,
    )


@personal
def cart_page(request, slug: str):
    store = _store_or_404(request, slug)
    cart = Cart(request.session, store.pk)
    lines = cart.lines()
    quote = _quote(store, cart)
    price_changes = list(quote.price_changes) if quote else []
    if price_changes:
        # Shown now, so these are the prices the buyer orders at.
        cart.remember_prices(quote)
    return _render(
        request,
        "storefront/cart.html",
        store=store,
        seo=_cart_seo(store, _("Your cart"), reverse("storefront:cart", args=[store.slug])),
        cart_count=sum(line.quantity for line in lines),
        rows=_cart_rows(lines, quote),
        quote=quote,
        price_changes=price_changes,
        max_quantity=settings.ORDER_MAX_QUANTITY,
        **_pricing(store, cart, quote),
    )


# No CSRF check here, so the product page needs no {% csrf_token %}: a token would set a csrftoken
# cookie on every anonymous visit and make the page uncacheable at the edge. What a forged request
# could do is add an item to the victim's own session cart, which they see and can remove; nothing
# is ordered, paid or disclosed (checkout, cart_update and cart_remove keep their CSRF check).
@csrf_exempt
@require_POST
def cart_add(request, slug: str):
    catalog = _catalog_or_404(request, slug)
    form = AddToCartForm(request.POST)
    valid = form.is_valid()
    product_id = form.cleaned_data.get("product")
    back = (
        reverse("storefront:product", args=[catalog.slug, product_id])
        if product_id and catalog.product(product_id)
        else catalog.share_path
    )
    if not valid:
        messages.error(request, _("Choose a quantity of 1 or more, then add it to the cart."))
        return redirect(back)
    try:
        added = Cart(request.session, catalog.store_id).add(
            catalog,
            product_id=form.cleaned_data["product"],
            variant_id=form.cleaned_data["variant"],
            quantity=form.cleaned_data["quantity"],
        )
    except CartRefused as refused:
        messages.error(request, refused.message)
        return redirect(back)
    (messages.warning if added.capped else messages.success)(request, added.message)
    return redirect(back)


# No CSRF check, like cart_add: every page has the switch, and a token would make them uncacheable. A
# forged request could only change the victim's language, which they see and switch back.
@csrf_exempt
@require_POST
def choose_language(request, slug: str):
    """The buyer's pick of language, from any store page's footer: kept in the language cookie (which
    wins over the store's language, and which every cache of store pages keys by), then back to
    the page they were on."""
    _store_id_or_404(request, slug)  # a 404 for a store that is not there
    language = request.POST.get("language", "")
    if language not in CODES:
        return HttpResponseBadRequest(
            _("Choose one of the languages offered: %(codes)s.") % {"codes": ", ".join(CODES)},
            content_type="text/plain; charset=utf-8",
        )
    back = request.POST.get("next", "")
    store_path = reverse("storefront:store_home", args=[slug])
    if not (back.startswith(store_path) and url_has_allowed_host_and_scheme(back, allowed_hosts=None)):
        back = store_path
    response = redirect(back)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
        path=settings.LANGUAGE_COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )
    return response


@require_POST
def cart_update(request, slug: str):
    catalog = _catalog_or_404(request, slug)
    cart = Cart(request.session, catalog.store_id)
    lines = {line.key: line for line in cart.lines()}
    quantities, bad = submitted_quantities(request.POST, lines)
    for key, quantity in quantities.items():
        if quantity != lines[key].quantity:
            note = cart.set_quantity(catalog, key=key, quantity=quantity)
            if note:
                messages.warning(request, note)
    if bad:
        messages.error(
            request, _("Enter each quantity as a whole number (0 takes the item out of your cart).")
        )
    return redirect("storefront:cart", slug=catalog.slug)


@require_POST
def cart_remove(request, slug: str):
    store_id = _store_id_or_404(request, slug)
    form = CartLineForm(request.POST)
    if form.is_valid():
        Cart(request.session, store_id).remove(form.cleaned_data["line"])
    return redirect("storefront:cart", slug=slug)


# --- Checkout and the order page ----------------------------------------------------------------


def _prices_changed_notice(price_changes: list[str]) -> str:
    changes = "; ".join(change.rstrip(".") for change in price_changes)
    return _("Prices changed: %(changes)s, please check and place the order again.") % {"changes": changes}


def _session_key(request, form_key: str) -> str:
    """The order's idempotency key: the form's key bound to this session, so another session that
    submits the same form key places its own order instead of finding this buyer's."""
    if request.session.session_key is None:
        request.session.save()
    return salted_hmac("checkout", f"{request.session.session_key}:{form_key}").hexdigest()[:32]


@personal
def checkout(request, slug: str):
    """The PIN code first (does the shop deliver, for what fee), then the buyer's details and payment.

    The page shows the total for paying now and for cash on delivery; the form carries both back, and
    the order is placed only at the total the buyer saw for the way they chose to pay.
    """
    store = _store_or_404(request, slug)
    cart = Cart(request.session, store.pk)
    online = get_gateway() is not None
    refused: list[str] = []
    notice = ""
    retry_after = None
    if request.method == "POST":
        # The first submit succeeded and emptied the cart: a second one is the same order.
        token = cart.placed_token(request.POST.get("idempotency_key", ""))
        if token:
            return redirect("storefront:order", slug=store.slug, token=token)
    if not cart:
        notify = messages.error if request.method == "POST" else messages.info
        notify(request, _("Your cart is empty. Add something, then check out."))
        return redirect("storefront:cart", slug=store.slug)
    quote, cod_quote = _checkout_quotes(store, cart)
    cod = cod_quote.pricing.cod if cod_quote and cod_quote.pricing else None
    form = CheckoutForm(
        request.POST if request.method == "POST" else None,
        store=store,
        online=online,
        cash_on_delivery=cod is None or cod.allowed,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        cart.pin_code = data["pin_code"]
        cash = data["payment_method"] == "cod"
        try:
            order = place_order(
                store=store,
                lines=cart.order_lines(),
                buyer=Buyer(
                    name=data["name"],
                    phone=data["phone"],
                    address=data["address"],
                    pin_code=data["pin_code"],
                ),
                payment_method=data["payment_method"],
                idempotency_key=_session_key(request, data["idempotency_key"]),
                client=client_address(request),
                coupon_code=cart.coupon_code,
                seen_total=data["seen_total_cod" if cash else "seen_total"],
            )
        except TotalChanged as changed:
            notice = changed.messages[0]
        except PricesChanged as changed:
            cart.remember_prices(changed.quote)
            notice = _prices_changed_notice(list(changed.quote.price_changes))
        except OrderLimited as error:
            refused, retry_after = list(error.messages), error.retry_after_seconds
        except CheckoutRefused as error:
            refused = list(error.messages)
        else:
            cart.clear()
            cart.remember_placed(idempotency_key=data["idempotency_key"], token=order.public_token)
            return _after_placing(request, order)
        quote, cod_quote = _checkout_quotes(store, cart)
    if request.method == "POST":
        form.renew_expired_key()
        # Not ordered: kept as an unfinished checkout when the phone is right (draft.js may have sent it).
        if _draft_wait(request) is None:
            with suppress(DraftRefused):
                _keep_draft(store, cart, request.POST)
    if quote and quote.price_changes:
        cart.remember_prices(quote)
        notice = notice or _prices_changed_notice(list(quote.price_changes))
        quote, cod_quote = _checkout_quotes(store, cart)
    form.show(
        pin_code=cart.pin_code,
        total=quote.total if quote else None,
        cod_total=cod_quote.total if cod_quote else None,
    )
    lines = cart.lines()
    cod_total = cod_quote.total if cod_quote and quote and cod_quote.total != quote.total else None
    if [value for value, _ in form.fields["payment_method"].choices] == ["cod"]:
        # Cash on delivery is the only way to pay: its total, fee included, is the one the buyer pays.
        quote, cod_total = cod_quote, None
    response = _render(
        request,
        "storefront/checkout.html",
        store=store,
        seo=_cart_seo(store, _("Checkout"), reverse("storefront:checkout", args=[store.slug])),
        cart_count=sum(line.quantity for line in lines),
        form=form,
        rows=_cart_rows(lines, quote),
        quote=quote,
        cod_total=cod_total if form.offers_cash_on_delivery else None,
        notice=notice,
        refused=refused,
        **_pricing(store, cart, quote),
    )
    if retry_after is not None:
        response.status_code = 429
        response["Retry-After"] = str(retry_after)
    return response


def _draft_wait(request) -> int | None:
    """Count a save of an unfinished checkout against its address's hourly limit: None if it may go
    ahead, else the seconds to wait. A save that makes a new row needs a new session, so scripts
    filling a shop's list with strangers' numbers meet this limit."""
    client = client_address(request)
    if not client:
        return None
    return count_request("drafts-address", client, settings.DRAFT_MAX_PER_ADDRESS_PER_HOUR, window=3600)


def _keep_draft(store: Store, cart: Cart, data) -> None:
    """Keep the checkout with the phone and name in `data` (a checkout form's fields); DraftRefused."""
    draft = save_draft(
        store=store,
        token=cart.draft_token,
        phone=data.get("phone", ""),
        name=data.get("name", ""),
        pin_code=cart.pin_code,
        lines=cart.kept(),
    )
    cart.draft_token = draft.token


@personal
@require_POST
def cart_draft(request, slug: str):
    """The buyer typed their phone at checkout (static/storefront/draft.js posts it on change): keep the
    checkout, so the shop can message them if they do not order within the hour. JSON either way."""
    store = _store_or_404(request, slug)
    wait = _draft_wait(request)
    if wait is not None:
        message = _("Too many tries from your network. Try again in %(wait)s.") % {"wait": wait_text(wait)}
        return JsonResponse({"error": message}, status=429, headers={"Retry-After": str(wait)})
    try:
        _keep_draft(store, Cart(request.session, store.pk), request.POST)
    except DraftRefused as refused:
        return JsonResponse({"error": refused.message}, status=400)
    return JsonResponse({"saved": True})


@personal
def cart_restore(request, slug: str, token: str):
    """The link a shop sends about an unfinished checkout: this browser's cart becomes that cart again,
    priced now on the cart page, which says what changed since."""
    found = found_store(slug)
    if found is not None:
        speak_to_buyer(request.COOKIES, found.language)
    store_id = found.id if found else None
    draft = draft_for_link(store_id=store_id, token=token) if store_id else None
    if draft is None:
        raise NotHere(_("This cart link is not valid any more. Browse the shop to fill your cart again."))
    cart = Cart(request.session, draft.store_id)
    cart.restore(draft.lines)
    if draft.pin_code:
        cart.pin_code = draft.pin_code
    if draft.order_id is None:
        cart.draft_token = draft.token
    messages.info(request, _("Your cart is back as you left it, at today's prices."))
    return redirect("storefront:cart", slug=slug)


def _checkout_quotes(store: Store, cart: Cart) -> tuple[Quote | None, Quote | None]:
    """The cart priced for paying now, and for cash on delivery (its fee, or why it is not offered)."""
    return _quote(store, cart), _quote(store, cart, cash_on_delivery=True)


def _after_placing(request, order):
    """Send the buyer to their order page, or first to the payment provider when paying online."""
    if order.payment_method == "online" and order.payment_status != "paid":
        # The order is committed: a slow or failing provider cannot lose it, only delay the payment.
        try:
            return redirect(start_online_payment(order=order).checkout_url)
        except PaymentUnavailable as error:
            messages.error(request, _("Your order is placed. %(problem)s") % {"problem": error.message})
    return redirect("storefront:order", slug=order.store.slug, token=order.public_token)


TIMELINE = (
    ("placed", "created_at"),
    ("accepted", "accepted_at"),
    ("shipped", "shipped_at"),
    ("delivered", "delivered_at"),
)


STEP_LABELS = {
    "placed": gettext_lazy("Placed"),
    "accepted": gettext_lazy("Accepted"),
    "shipped": gettext_lazy("Shipped"),
    "delivered": gettext_lazy("Delivered"),
}


def _timeline(order) -> list[dict]:
    ended = {
        "cancelled": (_("Cancelled"), order.cancelled_at),
        "returned": (_("Returned to the shop"), order.returned_at),
    }
    if order.status in ended:
        label, at = ended[order.status]
        reached = [{"label": STEP_LABELS["placed"], "at": order.created_at, "done": True}]
        for status, field in TIMELINE[1:]:
            if getattr(order, field):
                reached.append({"label": STEP_LABELS[status], "at": getattr(order, field), "done": True})
        return [*reached, {"label": label, "at": at, "done": True}]
    # Awaiting the buyer's confirmation is still the first step; the page asks for the confirmation.
    reached_status = "placed" if order.status == "unconfirmed" else order.status
    reached_index = [status for status, _ in TIMELINE].index(reached_status)
    return [
        {"label": STEP_LABELS[status], "at": getattr(order, field), "done": index <= reached_index}
        for index, (status, field) in enumerate(TIMELINE)
    ]


def _whatsapp_text(order, store: Store, lines, status_url: str) -> str:
    rows = [_("Hello %(store)s, I placed order #%(number)s.") % {"store": store.name, "number": order.number}]
    for line in lines:
        name = f"{line.name} ({line.variant_label})" if line.variant_label else line.name
        rows.append(f"{line.quantity} × {name}: {money(line.line_total, store)}")
    for row in order_rows(order):
        if row.kind == "free" or (row.kind == "subtotal" and order.subtotal == order.total):
            continue  # nothing the buyer needs to read on a phone
        if row.kind == "total":
            rows.append(
                _("Total: %(total)s (%(payment)s)")
                % {"total": money(order.total, store), "payment": order.get_payment_method_display()}
            )
        elif row.kind == "discount":
            rows.append(f"{row.label}: −{money(row.amount, store)}")
        else:
            included = " " + _("(included)") if row.kind == "tax-included" else ""
            rows.append(f"{row.label}{included}: {money(row.amount, store)}")
    rows.append(_("Order status: %(url)s") % {"url": status_url})
    return "\n".join(rows)


@personal
def order(request, slug: str, token: str):
    found = order_for_buyer(token=token)
    if found is None or found.store.slug != slug:
        raise NotHere(_("There is no order at this link. Check the link in your message from the store."))
    store = found.store
    speak_to_buyer(request.COOKIES, store.language)
    lines = list(found.lines.all())
    path = reverse("storefront:order", args=[store.slug, found.public_token])
    status_url = settings.SITE_URL + path
    upi = ""
    upi_qr = ""
    # No UPI ID any more (the merchant removed it): no link to pay to; the WhatsApp button still works.
    if (
        found.payment_method == "upi"
        and found.payment_status in ("pending", "partly_paid", "failed")
        and found.status not in ("cancelled", "returned")
        and store.upi_id
    ):
        upi = upi_link(found)
        upi_qr = segno.make(upi, error="m").svg_inline(scale=4, border=2, omitsize=True)
    whatsapp_text = _whatsapp_text(found, store, lines, status_url)
    return _render(
        request,
        "storefront/order.html",
        store=store,
        seo=Seo(
            title=_("Order #%(number)s") % {"number": found.number} + f" · {store.name}",
            og_title=_("Order #%(number)s at %(store)s") % {"number": found.number, "store": store.name},
            description=_("Your order at %(store)s.") % {"store": store.name},
            url=status_url,
            noindex=True,
        ),
        order=found,
        lines=lines,
        summary=order_rows(found),
        timeline=_timeline(found),
        upi_link=upi,
        upi_qr=upi_qr,
        whatsapp_url=f"https://wa.me/{_digits(store.whatsapp)}?text={urlquote(whatsapp_text, safe='')}",
    )
