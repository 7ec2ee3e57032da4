"""Public endpoints of a store, for a buyer's app: no token, visible products only.

Reads come from the catalog snapshot the storefront pages use (`catalog.snapshot.store_catalog`),
so the API can never show a hidden product or another store's; search asks the search engine
(`search.service.search_products`, as the store's search page does) and shows its hits from that
snapshot. Orders go through the same `quote_cart` and `place_order` as the web checkout.
"""

import hashlib
from dataclasses import replace
from decimal import Decimal

from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from dukaan.catalog.models import Store
from dukaan.catalog.selectors import moved_slug, store_id_for_slug
from dukaan.catalog.snapshot import StoreCatalog, store_catalog
from dukaan.infra.clients import client_address
from dukaan.orders.payments import upi_link
from dukaan.orders.selectors import Choices, order_for_buyer, quote_cart
from dukaan.orders.services import Buyer, CartLine, OrderLimited, place_order
from dukaan.payments.gateways import get_gateway
from dukaan.search.backend import SearchQuery, Sort
from dukaan.search.service import MAX_FILTER_PRICE, search_products
from dukaan.shipping.rules import valid_pin

from .idempotency import run_once
from .pagination import DEFAULT_LIMIT, decode_cursor, encode_cursor, list_page, page_size
from .params import CategoryFilter, Cursor, Limit, OrderToken, ProductId, RequiredKey, SearchWords, StoreSlug
from .problems import Problem
from .schemas import (
    BuyerOrderOut,
    CatalogProductOut,
    CatalogProductPage,
    LineIn,
    PlaceOrderIn,
    PublicStoreOut,
    QuoteIn,
    QuoteOut,
    SearchPage,
)

router = Router(tags=["Store (public)"])
# Never kept by a shared cache: the buyer's own cart, details or order.
PRIVATE = "private, no-store"
# The API's own namespace of checkout keys, apart from the web checkout's, which are random uuids.
ORDER_KEY_PREFIX = "api:"


def _no_store(request: HttpRequest, slug: str, detail: str = "There is no store at this address.") -> Problem:
    """Not found; or, for a store's old slug (given up within RELEASED_SLUG_DAYS), a 308 to the same
    address under its new slug. 308, not 301: clients follow it with the same method, body and
    headers (an order POSTed to the old address is placed, once, by its Idempotency-Key); the
    problem body names the new slug for a client that does not follow redirects."""
    new_slug = moved_slug(slug)
    if new_slug is None:
        return Problem("not-found", detail)
    # The slug is the segment after this router's /stores, so its first occurrence is the one.
    location = request.get_full_path().replace(f"/stores/{slug}", f"/stores/{new_slug}", 1)
    return Problem(
        "store-moved",
        f"This store's address changed from “{slug}” to “{new_slug}”. Send this request to {location}.",
        headers={"Location": location, "Cache-Control": "no-cache"},
        slug=new_slug,
    )


def _catalog(request: HttpRequest, slug: str) -> StoreCatalog:
    store_id = store_id_for_slug(slug)
    catalog = store_catalog(store_id) if store_id else None
    if catalog is None:
        raise _no_store(request, slug)
    return catalog


def _store(request: HttpRequest, slug: str) -> Store:
    store = Store.objects.filter(slug=slug).first()
    if store is None:
        raise _no_store(request, slug)
    return store


def _payment_methods(catalog: StoreCatalog) -> list[str]:
    methods = ["cod"]
    if catalog.upi_id:
        methods.append("upi")
    if get_gateway() is not None:
        methods.append("online")
    return methods


@router.get("/{slug}", response=PublicStoreOut, summary="A store and its categories")
def store(request: HttpRequest, slug: StoreSlug):
    catalog = _catalog(request, slug)
    return PublicStoreOut.model_validate(catalog, context={"payment_methods": _payment_methods(catalog)})


@router.get("/{slug}/products", response=CatalogProductPage, summary="A store's products, newest first")
def store_products(
    request: HttpRequest,
    slug: StoreSlug,
    category_id: CategoryFilter = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
):
    catalog = _catalog(request, slug)
    products = catalog.products
    if category_id is not None:
        if catalog.category(category_id) is None:
            raise Problem("not-found", "There is no such category in this store.")
        products = catalog.products_in(category_id)
    page, next_cursor = list_page(products, kind=f"catalog:{category_id or ''}", cursor=cursor, limit=limit)
    return CatalogProductPage.model_validate(
        {"items": page, "next_cursor": next_cursor}, context={"catalog": catalog}
    )


@router.get("/{slug}/products/{product_id}", response=CatalogProductOut, summary="One product")
def store_product(request: HttpRequest, slug: StoreSlug, product_id: ProductId):
    catalog = _catalog(request, slug)
    product = catalog.product(product_id)
    if product is None:
        raise Problem("not-found", "There is no such product in this store.")
    return CatalogProductOut.model_validate(product, context={"catalog": catalog})


MinPrice = Query[
    Decimal | None, {"ge": 0, "le": MAX_FILTER_PRICE, "description": "Only products from this price up"}
]
MaxPrice = Query[
    Decimal | None, {"ge": 0, "le": MAX_FILTER_PRICE, "description": "Only products at this price or less"}
]
InStock = Query[bool, {"description": "Only products in stock"}]
SearchSort = Query[Sort, {"description": "relevance (the default), price_asc, price_desc or newest"}]


def _offset_cursor(kind: str, offset: int) -> str:
    return encode_cursor(kind, [offset])


def _cursor_offset(kind: str, cursor: str) -> int:
    values = decode_cursor(kind, cursor)
    if len(values) != 1 or type(values[0]) is not int or values[0] < 0:
        raise Problem("invalid-cursor", "That cursor is damaged. Start again without it.")
    return values[0]


def _search_kind(query: SearchQuery) -> str:
    """What a search cursor belongs to: the same words, filters and sort, whatever the page."""
    parts = (query.text, query.category_id, query.min_price, query.max_price, query.in_stock, query.sort)
    return "search:" + hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


@router.get("/{slug}/search", response=SearchPage, summary="Search a store's products")
def search(
    request: HttpRequest,
    slug: StoreSlug,
    q: SearchWords = "",
    category_id: CategoryFilter = None,
    min_price: MinPrice = None,
    max_price: MaxPrice = None,
    in_stock: InStock = False,
    sort: SearchSort = "relevance",
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """Products matching every word, allowing typos, other word forms ("kurtas" finds "kurta") and
    synonyms, best first; when fewer than 10 do, the products matching most words follow, marked
    `related`. With no words, every product, filtered and sorted. `highlighted_name` marks the
    matched words; `categories` counts the matches per category; `did_you_mean` corrects typos."""
    catalog = _catalog(request, slug)
    if min_price is not None and max_price is not None and min_price > max_price:
        raise Problem(
            "validation",
            "min_price is above max_price. Swap them, or leave one out.",
            errors=[{"field": "min_price", "location": "query", "message": "Must not be above max_price."}],
        )
    if category_id is not None and catalog.category(category_id) is None:
        raise Problem("not-found", "There is no such category in this store.")
    query = SearchQuery(
        store_id=catalog.store_id,
        text=" ".join(q.split()),
        category_id=category_id,
        min_price=min_price,
        max_price=max_price,
        in_stock=in_stock,
        sort=sort,
        limit=page_size(limit),
    )
    kind = _search_kind(query)
    offset = _cursor_offset(kind, cursor) if cursor else 0
    results = search_products(replace(query, offset=offset))
    end = offset + len(results.hits)
    products = [product for hit in results.hits if (product := catalog.product(hit.product_id)) is not None]
    hits = {hit.product_id: hit for hit in results.hits}
    return SearchPage.model_validate(
        {
            "items": products,
            "next_cursor": _offset_cursor(kind, end) if results.hits and end < results.total else None,
            "total": results.total,
            "related": results.related,
            "did_you_mean": results.did_you_mean or None,
            "categories": [
                {"id": category.id, "name": category.name, "count": facet.count}
                for facet in results.categories
                if (category := catalog.category(facet.category_id)) is not None
            ],
        },
        context={"catalog": catalog, "hits": hits},
    )


def _cart_lines(lines: list[LineIn]) -> list[CartLine]:
    return [CartLine(**dict(line)) for line in lines]


@router.post("/{slug}/cart/quote", response=QuoteOut, summary="Price a cart")
def quote(request: HttpRequest, slug: StoreSlug, payload: QuoteIn, response: HttpResponse):
    """Reprice lines from the database now: each line's price, what is in stock, the total, and
    `problems` / `price_changes` that would stop the order. Nothing is reserved."""
    response["Cache-Control"] = PRIVATE
    store = _store(request, slug)
    pin_code = ""
    if payload.pin_code:
        try:
            pin_code = valid_pin(payload.pin_code)
        except ValueError as error:
            message = str(error)
            errors = [{"field": "pin_code", "location": "body", "message": message}]
            raise Problem("validation", f"pin_code: {message}", errors=errors) from error
    choices = Choices(
        coupon_code=payload.coupon_code or "",
        pin_code=pin_code,
        cash_on_delivery=payload.payment_method == "cod",
    )
    return QuoteOut.model_validate(quote_cart(store=store, lines=_cart_lines(payload.lines), choices=choices))


def _buyer_order(order) -> BuyerOrderOut:
    store = order.store
    link = None
    if order.payment_method == "upi" and order.payment_status != "paid" and order.status != "cancelled":
        link = upi_link(order) if store.upi_id else None
    return BuyerOrderOut.model_validate(order, context={"upi_link": link})


@router.post("/{slug}/orders", response={201: BuyerOrderOut}, summary="Place an order")
def create_order(request: HttpRequest, slug: StoreSlug, payload: PlaceOrderIn, idempotency_key: RequiredKey):
    """The web checkout's own `place_order`: prices and stock are checked again under locks. Send
    each line's `seen_price`; if a price moved the answer is a 409 with the new quote. The
    Idempotency-Key is required: a retry with the same key and body returns the same order."""
    store = _store(request, slug)
    client = client_address(request)

    def change():
        try:
            order = place_order(
                store=store,
                lines=_cart_lines(payload.lines),
                buyer=Buyer(**dict(payload.buyer)),
                payment_method=payload.payment_method,
                idempotency_key=ORDER_KEY_PREFIX + idempotency_key,
                client=client,
                coupon_code=payload.coupon_code or "",
                seen_total=payload.expected_total,
            )
        except OrderLimited as error:
            raise Problem(
                "rate-limited", error.messages[0], headers={"Retry-After": str(error.retry_after_seconds)}
            ) from error
        # The order and its store are the rows just written; only its lines, discounts and charges are read.
        prefetch_related_objects([order], "lines", "discounts", "charges")
        return 201, _buyer_order(order)

    response = run_once(
        request=request, store=store, scope="buyer", key=idempotency_key, payload=payload, change=change
    )
    response["Cache-Control"] = PRIVATE
    return response


@router.get("/{slug}/orders/{token}", response=BuyerOrderOut, summary="An order's status")
def order_status(request: HttpRequest, slug: StoreSlug, token: OrderToken, response: HttpResponse):
    """By the order's public token (from its status link), as the buyer's status page shows it."""
    response["Cache-Control"] = PRIVATE
    order = order_for_buyer(token=token)
    if order is None or order.store.slug != slug:
        raise _no_store(request, slug, "There is no order at this address. Check the link from the store.")
    return _buyer_order(order)
