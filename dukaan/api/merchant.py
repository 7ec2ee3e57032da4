"""Merchant endpoints: a token's own store, its categories, products, stock and orders.

Each operation names the token scope it needs (`auth=needs(...)`); dukaan.api.auth checks it.

Thin, like the dashboard's views: parse, look the object up through the token's store (so another
store's id is the same 404 as a missing one), call one service, render. No rule lives here.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest
from ninja import File, Query, Router
from ninja.files import UploadedFile
from ninja.responses import Status

from dukaan.accounts.audit import Actor
from dukaan.accounts.roles import Access, Role, may
from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import LoginRefused, normalize_phone
from dukaan.catalog import images as catalog_images
from dukaan.catalog import services
from dukaan.catalog.models import Category, Product, ProductImage, Store
from dukaan.catalog.selectors import store_categories, store_products
from dukaan.orders.access import status_access
from dukaan.orders.models import Order
from dukaan.orders.selectors import store_orders
from dukaan.orders.services import IllegalTransition, change_order_status, record_status_change

from .auth import needs, role_refused
from .idempotency import run_once
from .pagination import DEFAULT_LIMIT, keyset_page
from .params import (
    CategoryFilter,
    CategoryId,
    Cursor,
    Day,
    ImageId,
    Limit,
    OptionalKey,
    OrderId,
    ProductId,
    ProductQuery,
)
from .problems import Problem, not_found
from .schemas import (
    CategoryIn,
    CategoryOut,
    CategoryPage,
    MeOut,
    OrderOut,
    OrderPage,
    OrderStatus,
    OrderStatusIn,
    ProductIn,
    ProductOut,
    ProductPage,
    ProductPatch,
    StockChange,
    StockOut,
    StoreOut,
    StorePatch,
    VariantIn,
    Visibility,
)

router = Router(tags=["Merchant"])


def _store(request: HttpRequest) -> Store:
    return request.auth.store


# --- Me and the store ------------------------------------------------------------------------------


@router.get("/me", response=MeOut, summary="The token and its store", auth=needs(None))
def me(request: HttpRequest):
    return MeOut.model_validate(request.auth)


@router.get("/store", response=StoreOut, summary="The store's settings", auth=needs(None))
def get_store(request: HttpRequest):
    return StoreOut.model_validate(_store(request))


STORE_FIELDS = ("name", "slug", "whatsapp", "currency", "upi_id")


@router.patch(
    "/store", response=StoreOut, summary="Change the store's settings", auth=needs(Scope.STORE_WRITE)
)
def update_store(request: HttpRequest, payload: StorePatch):
    store = _store(request)
    fields = {name: getattr(store, name) for name in STORE_FIELDS}
    fields.update({name: getattr(payload, name) for name in payload.model_fields_set})
    if "whatsapp" in payload.model_fields_set:
        try:
            fields["whatsapp"] = normalize_phone(payload.whatsapp)
        except LoginRefused as error:
            raise ValidationError({"whatsapp": error.message}) from error
    changing = [name for name in services.PAYMENT_DETAILS if fields[name] != getattr(store, name)]
    if changing and not may(Role(request.auth.role), Access.OWNER):
        raise role_refused(request.auth, Access.OWNER)
    services.update_store(store=store, changed_by=Actor.token(request.auth), **fields)
    return StoreOut.model_validate(store)


# --- Categories ------------------------------------------------------------------------------------


def _categories(store: Store):
    return store_categories(store).annotate(product_count=Count("products"))


def _category(store: Store, category_id: int) -> Category:
    category = _categories(store).filter(pk=category_id).first()
    if category is None:
        raise not_found("category")
    return category


@router.get("/categories", response=CategoryPage, summary="List categories", auth=needs(Scope.CATALOG_READ))
def list_categories(request: HttpRequest, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT):
    rows, next_cursor = keyset_page(
        _categories(_store(request)),
        kind="categories",
        ordering=("position", "name", "id"),
        types=(int, str, int),
        cursor=cursor,
        limit=limit,
    )
    return CategoryPage.model_validate({"items": rows, "next_cursor": next_cursor})


@router.post(
    "/categories", response={201: CategoryOut}, summary="Create a category", auth=needs(Scope.CATALOG_WRITE)
)
def create_category(request: HttpRequest, payload: CategoryIn):
    store = _store(request)
    category = services.create_category(store=store, name=payload.name)
    return Status(201, CategoryOut.model_validate(_category(store, category.pk)))


@router.get(
    "/categories/{category_id}", response=CategoryOut, summary="One category", auth=needs(Scope.CATALOG_READ)
)
def get_category(request: HttpRequest, category_id: CategoryId):
    return CategoryOut.model_validate(_category(_store(request), category_id))


@router.patch(
    "/categories/{category_id}",
    response=CategoryOut,
    summary="Rename a category",
    auth=needs(Scope.CATALOG_WRITE),
)
def rename_category(request: HttpRequest, category_id: CategoryId, payload: CategoryIn):
    store = _store(request)
    services.rename_category(category=_category(store, category_id), name=payload.name)
    return CategoryOut.model_validate(_category(store, category_id))


@router.delete(
    "/categories/{category_id}",
    response={204: None},
    summary="Delete a category",
    auth=needs(Scope.CATALOG_WRITE),
)
def delete_category(request: HttpRequest, category_id: CategoryId):
    """Its products are kept, without a category."""
    services.delete_category(category=_category(_store(request), category_id))
    return Status(204, None)


# --- Products --------------------------------------------------------------------------------------


def _product(store: Store, product_id: int) -> Product:
    product = store_products(store=store).filter(pk=product_id).first()
    if product is None:
        raise not_found("product")
    return product


def _category_for(store: Store, category_id: int | None) -> Category | None:
    """The store's own category, or a field error that reads the same for a missing or foreign id."""
    if category_id is None:
        return None
    category = Category.objects.filter(store=store, pk=category_id).first()
    if category is None:
        raise ValidationError({"category_id": "There is no such category in your store."})
    return category


# The payload's members that the catalog services take in another form (a Category, VariantInputs);
# the rest pass through as they are.
NOT_PRODUCT_FIELDS = {"category_id", "variants"}


def _variants(items: list[VariantIn]) -> list[services.VariantInput]:
    return [services.VariantInput(**dict(item)) for item in items]


def _product_out(store: Store, product_id: int) -> ProductOut:
    product = _product(store, product_id)
    product.store = store
    return ProductOut.model_validate(product)


@router.get(
    "/products", response=ProductPage, summary="List products, newest first", auth=needs(Scope.CATALOG_READ)
)
def list_products(
    request: HttpRequest,
    q: ProductQuery = "",
    category_id: CategoryFilter = None,
    visibility: Query[Visibility | None] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """`q` matches the name, or a product's or variant's SKU exactly."""
    store = _store(request)
    rows, next_cursor = keyset_page(
        store_products(store=store, query=q.strip(), category_id=category_id, visibility=visibility or ""),
        kind="products",
        ordering=("-created_at", "-id"),
        types=(datetime, int),
        cursor=cursor,
        limit=limit,
    )
    for row in rows:
        row.store = store
    return ProductPage.model_validate({"items": rows, "next_cursor": next_cursor})


@router.post(
    "/products",
    response={201: ProductOut},
    summary="Create a product, with its variants",
    auth=needs(Scope.CATALOG_WRITE),
)
def create_product(request: HttpRequest, payload: ProductIn):
    store = _store(request)
    product = services.create_product(
        store=store,
        category=_category_for(store, payload.category_id),
        variants=_variants(payload.variants),
        **payload.model_dump(exclude=NOT_PRODUCT_FIELDS),
    )
    return Status(201, _product_out(store, product.pk))


@router.get(
    "/products/{product_id}", response=ProductOut, summary="One product", auth=needs(Scope.CATALOG_READ)
)
def get_product(request: HttpRequest, product_id: ProductId):
    return _product_out(_store(request), product_id)


@router.patch(
    "/products/{product_id}", response=ProductOut, summary="Change a product", auth=needs(Scope.CATALOG_WRITE)
)
def update_product(request: HttpRequest, product_id: ProductId, payload: ProductPatch):
    """Only the members sent change. `variants`, when sent, is the product's whole list of variants:
    give an existing variant's `id` to keep it, leave it out to delete it."""
    store = _store(request)
    product = _product(store, product_id)
    sent = payload.model_fields_set
    changes = payload.model_dump(exclude_unset=True, exclude=NOT_PRODUCT_FIELDS)
    if "category_id" in sent:
        changes["category"] = _category_for(store, payload.category_id)
    variants = _variants(payload.variants) if "variants" in sent else None
    services.update_product(
        product=product, variants=variants, changed_by=Actor.token(request.auth), **changes
    )
    return _product_out(store, product_id)


@router.delete(
    "/products/{product_id}",
    response={204: None},
    summary="Delete a product",
    auth=needs(Scope.CATALOG_WRITE),
)
def delete_product(request: HttpRequest, product_id: ProductId):
    services.delete_product(product=_product(_store(request), product_id))
    return Status(204, None)


@router.post(
    "/products/{product_id}/images",
    response={201: ProductOut},
    summary="Upload photos",
    auth=needs(Scope.CATALOG_WRITE),
)
def upload_images(request: HttpRequest, product_id: ProductId, images: File[list[UploadedFile]]):
    """multipart/form-data with one or more `images` parts: JPEG, PNG, WebP or GIF photos, checked by
    their content. They are added after the product's current photos."""
    store = _store(request)
    product = _product(store, product_id)
    errors = []
    for index, upload in enumerate(images):
        try:
            catalog_images.validate_image(upload)
        except ValidationError as error:
            message = f"{upload.name}: {' '.join(error.messages)}"
            errors.append({"field": f"images[{index}]", "location": "file", "message": message})
    if errors:
        raise Problem("validation", " ".join(e["message"] for e in errors), errors=errors)
    services.update_product(product=product, new_images=images)
    return Status(201, _product_out(store, product_id))


@router.delete(
    "/products/{product_id}/images/{image_id}",
    response={204: None},
    summary="Remove a photo",
    auth=needs(Scope.CATALOG_WRITE),
)
def delete_image(request: HttpRequest, product_id: ProductId, image_id: ImageId):
    store = _store(request)
    product = _product(store, product_id)
    if not ProductImage.objects.filter(store=store, product=product, pk=image_id).exists():
        raise not_found("photo")
    services.update_product(product=product, remove_image_ids=[image_id])
    return Status(204, None)


@router.post(
    "/products/{product_id}/stock",
    response=StockOut,
    summary="Set or move stock",
    auth=needs(Scope.CATALOG_WRITE),
)
def adjust_stock(
    request: HttpRequest,
    product_id: ProductId,
    payload: StockChange,
    idempotency_key: OptionalKey = None,
):
    """`{"stock": 12}` sets the count (`null` = unlimited); `{"delta": -2}` moves it. Add `variant_id`
    for one of the product's variants. Send an Idempotency-Key so a retried delta is not applied twice."""
    store = _store(request)
    product = _product(store, product_id)

    def change():
        how = {}
        if "stock" in payload.model_fields_set:
            how["set_to"] = payload.stock
        if "delta" in payload.model_fields_set:
            how["delta"] = payload.delta
        stock = services.adjust_stock(
            product=product, variant_id=payload.variant_id, changed_by=Actor.token(request.auth), **how
        )
        return 200, StockOut(product_id=product.pk, variant_id=payload.variant_id, stock=stock)

    return run_once(
        request=request,
        store=store,
        scope=f"token:{request.auth.pk}",
        key=idempotency_key,
        payload=payload,
        change=change,
    )


# --- Orders ----------------------------------------------------------------------------------------


def _order(store: Store, order_id: int) -> Order:
    order = (
        Order.objects.filter(store=store, pk=order_id)
        .prefetch_related("lines", "discounts", "charges")
        .first()
    )
    if order is None:
        raise not_found("order")
    order.store = store
    return order


def _day(raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as error:
        raise ValidationError({"day": f"“{raw}” is not a calendar day; write it as YYYY-MM-DD."}) from error


@router.get("/orders", response=OrderPage, summary="List orders, newest first", auth=needs(Scope.ORDERS_READ))
def list_orders(
    request: HttpRequest,
    status: Query[OrderStatus | None] = None,
    day: Day = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
):
    store = _store(request)
    rows, next_cursor = keyset_page(
        store_orders(store=store, status=status or "", day=_day(day)),
        kind="orders",
        ordering=("-created_at", "-id"),
        types=(datetime, int),
        cursor=cursor,
        limit=limit,
    )
    for row in rows:
        row.store = store
    return OrderPage.model_validate({"items": rows, "next_cursor": next_cursor})


@router.get("/orders/{order_id}", response=OrderOut, summary="One order", auth=needs(Scope.ORDERS_READ))
def get_order(request: HttpRequest, order_id: OrderId):
    return OrderOut.model_validate(_order(_store(request), order_id))


@router.post(
    "/orders/{order_id}/status",
    response=OrderOut,
    summary="Move an order along",
    auth=needs(Scope.ORDERS_WRITE),
)
def set_order_status(request: HttpRequest, order_id: OrderId, payload: OrderStatusIn):
    """unconfirmed → placed → accepted → (shipped: POST /orders/{id}/shipment) → delivered or returned, or
    cancelled before shipping (cancelled and returned give the stock back). Anything else is a 409 saying
    why."""
    store = _store(request)
    order = _order(store, order_id)
    if payload.status == Order.Status.SHIPPED:
        # Shipping takes the courier and tracking number the buyer is texted: its own operation.
        raise IllegalTransition(
            f"Ship order #{order.number} with POST /orders/{order.pk}/shipment, giving the courier and "
            "tracking number the buyer is sent. Nothing changed."
        )
    token = request.auth
    if not may(Role(token.role), status_access(payload.status)):
        raise role_refused(token, status_access(payload.status))
    before = order.status
    with transaction.atomic():
        change_order_status(order=order, status=payload.status, by="api")
        record_status_change(
            store=store, order=order, actor=Actor.token(token), before=before, after=payload.status
        )
    return OrderOut.model_validate(_order(store, order_id))
