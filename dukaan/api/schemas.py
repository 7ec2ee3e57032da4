"""What the API reads and writes, as pydantic schemas; the OpenAPI contract is generated from these.

Money goes out as a decimal string ("499.00") and comes in as a string or a JSON number, read
straight into a Decimal (the JSON parser never makes a float of it). Ids are bounded to what the
database can hold, and text may not carry NUL characters, which PostgreSQL cannot store: these
are shapes of data, not business rules; the rules stay in the services, which say what is wrong.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)

from dukaan.accounts.scopes import Scope
from dukaan.catalog.rules import CURRENCIES, MONEY_TEXT, parse_money
from dukaan.catalog.services import MAX_VARIANTS_PER_PRODUCT
from dukaan.catalog.snapshot import CatalogProduct, StoreCatalog, absolute_url
from dukaan.infra.integers import MAX_ID  # a larger id cannot name a row, and would overflow the query
from dukaan.orders.models import Order
from dukaan.orders.selectors import MAX_CART_LINES, Quote

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
NO_NUL = r"^[^\x00]*$"


def Text(max_length: int | None = None, min_length: int | None = None):  # noqa: N802 (used as a type)
    """A string with these bounds and no NUL character."""
    return Annotated[str, StringConstraints(max_length=max_length, min_length=min_length, pattern=NO_NUL)]


# --- Money -------------------------------------------------------------------------------------------


def _money_in(value) -> Decimal:
    # bool is an int to Python; `true` is not an amount.
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal | float):
        raise ValueError('Give an amount as a string like "499.00" or a number like 499.5')
    if isinstance(value, str):
        try:
            return parse_money(value)
        except ValidationError as error:
            raise ValueError(error.messages[0]) from error
    # Floats only come from Python callers (the JSON parser reads numbers as Decimal); repr() is exact.
    amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not amount.is_finite():
        raise ValueError("An amount must be a finite number")
    return amount


def _money_out(value: Decimal) -> str:
    return f"{value:.2f}"


MONEY_OUT_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"
MoneyIn = Annotated[
    Decimal,
    PlainValidator(_money_in),
    PlainSerializer(str, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "pattern": MONEY_TEXT.pattern}, {"type": "number"}],
            "description": 'An amount: a decimal string ("499.50") or a JSON number.',
        }
    ),
]
Money = Annotated[
    Decimal,
    PlainSerializer(_money_out, return_type=str),
    WithJsonSchema({"type": "string", "pattern": MONEY_OUT_PATTERN, "examples": ["499.00"]}),
]


class In(BaseModel):
    """A request body: unknown members are refused, so a typo is an error rather than ignored, and
    types are strict, so "5" is not a number and 1 is not true: what the schema says is what is taken."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- Problems (documentation of the error body; problems.py writes it) ----------------------------


class FieldError(Out):
    field: str | None = Field(description="The member at fault, e.g. `variants[0].price`; null for the whole")
    location: str = Field(description="body, query, path, header or file")
    message: str


class ProblemOut(BaseModel):
    """RFC 9457 problem details. `type` names the kind of problem; GET it for a description."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(examples=["/api/problems/validation"])
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] | None = None
    messages: list[str] | None = None
    quote: QuoteOut | None = None
    suggestion: str | None = None


# --- Merchant: me and the store ---------------------------------------------------------------------

Currency = Literal[tuple(CURRENCIES)]  # type: ignore[valid-type]


class StoreOut(Out):
    id: int
    name: str
    slug: str
    whatsapp: str
    currency: str
    upi_id: str
    logo_url: str
    share_url: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, store) -> StoreOut:
        return cls(
            id=store.pk,
            name=store.name,
            slug=store.slug,
            whatsapp=store.whatsapp,
            currency=store.currency,
            upi_id=store.upi_id,
            logo_url=absolute_url(store.logo_url),
            share_url=store.share_url,
            created_at=store.created_at,
            updated_at=store.updated_at,
        )


class StorePatch(In):
    """Only the members sent change."""

    name: Text(80, 1) = None  # type: ignore[assignment]
    slug: Text(40, 1) = None  # type: ignore[assignment]
    whatsapp: Text(32, 1) = Field(default=None, description="A mobile number; stored as E.164")
    currency: Currency = None  # type: ignore[assignment]
    upi_id: Text(300) = Field(default=None, description="name@bank, or empty for no UPI")


class TokenOut(Out):
    name: str
    prefix: str = Field(description="The token's first characters, to tell tokens apart")
    created_at: datetime
    last_used_at: datetime | None
    scopes: list[Scope] = Field(description="What the token may do; chosen when it was made")


class MeOut(Out):
    store: StoreOut
    token: TokenOut


# --- Merchant: categories ---------------------------------------------------------------------------


class CategoryOut(Out):
    id: int
    name: str
    position: int
    product_count: int


class CategoryIn(In):
    name: Text(60, 1)  # type: ignore[valid-type]


class CategoryPage(Out):
    items: list[CategoryOut]
    next_cursor: str | None


# --- Merchant: products -----------------------------------------------------------------------------

OptionText = Text(40, 1)


class VariantIn(In):
    id: Id | None = Field(default=None, description="An existing variant's id to keep it; null for a new one")
    options: dict[OptionText, OptionText] = Field(  # type: ignore[valid-type]
        min_length=1, max_length=5, examples=[{"Size": "M", "Colour": "Red"}]
    )
    price: MoneyIn
    sku: Text(64) = ""  # type: ignore[valid-type]
    stock: int | None = Field(default=None, description="null = unlimited")


class VariantOut(Out):
    id: int
    options: dict[str, str]
    label: str
    price: Money
    sku: str
    stock: int | None


class ImageOut(Out):
    id: int
    original_url: str
    small_url: str
    large_url: str
    width: int
    height: int
    position: int


class ProductIn(In):
    name: Text(120, 1)  # type: ignore[valid-type]
    price: MoneyIn
    description: Text(5000) = ""  # type: ignore[valid-type]
    compare_at_price: MoneyIn | None = None
    sku: Text(64) = ""  # type: ignore[valid-type]
    stock: int | None = Field(
        default=None, description="null = unlimited; ignored for sale once it has variants"
    )
    category_id: Id | None = None
    is_active: bool = Field(default=True, description="Visible in the store")
    variants: list[VariantIn] = Field(default_factory=list, max_length=MAX_VARIANTS_PER_PRODUCT)


class ProductPatch(In):
    """Only the members sent change; `variants`, when sent, replaces all of the product's variants."""

    name: Text(120, 1) = None  # type: ignore[assignment]
    price: MoneyIn = None  # type: ignore[assignment]
    description: Text(5000) = None  # type: ignore[assignment]
    compare_at_price: MoneyIn | None = None
    sku: Text(64) = None  # type: ignore[assignment]
    stock: int | None = None
    category_id: Id | None = None
    is_active: bool = None  # type: ignore[assignment]
    variants: list[VariantIn] = Field(default=None, max_length=MAX_VARIANTS_PER_PRODUCT)  # type: ignore[assignment]


class ProductOut(Out):
    id: int
    name: str
    description: str
    price: Money
    compare_at_price: Money | None
    sku: str
    stock: int | None
    category_id: int | None
    is_active: bool
    version: int
    url: str = Field(description="The product's page in the store")
    variants: list[VariantOut]
    images: list[ImageOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, product) -> ProductOut:
        store = product.store
        return cls(
            id=product.pk,
            name=product.name,
            description=product.description,
            price=product.price,
            compare_at_price=product.compare_at_price,
            sku=product.sku,
            stock=product.stock,
            category_id=product.category_id,
            is_active=product.is_active,
            version=product.version,
            url=f"{store.share_url}p/{product.pk}/",
            variants=[
                VariantOut(id=v.pk, options=v.options, label=v.label, price=v.price, sku=v.sku, stock=v.stock)
                for v in product.variants.all()
            ],
            images=[
                ImageOut(
                    id=i.pk,
                    original_url=absolute_url(default_storage.url(i.original)),
                    small_url=absolute_url(i.small_url),
                    large_url=absolute_url(i.large_url),
                    width=i.width,
                    height=i.height,
                    position=i.position,
                )
                for i in product.images.all()
            ],
            created_at=product.created_at,
            updated_at=product.updated_at,
        )


class ProductPage(Out):
    items: list[ProductOut]
    next_cursor: str | None


Visibility = Literal["visible", "hidden", "out_of_stock"]


class StockChange(In):
    """Send `stock` to set a count (null = unlimited), or `delta` to move it by an amount."""

    stock: int | None = Field(default=None, description="The new count; null = unlimited")
    delta: int = Field(default=None, description="Added to the count; negative to take away")  # type: ignore[assignment]
    variant_id: Id | None = Field(
        default=None, description="One of the product's variants; null for the product"
    )


class StockOut(Out):
    product_id: int
    variant_id: int | None
    stock: int | None = Field(description="The count now; null = unlimited")


# --- Orders ---------------------------------------------------------------------------------------------

OrderStatus = Literal[tuple(Order.Status.values)]  # type: ignore[valid-type]
PaymentMethod = Literal[tuple(Order.PaymentMethod.values)]  # type: ignore[valid-type]


class OrderLineOut(Out):
    product_id: int | None = Field(description="null once the product is deleted")
    variant_id: int | None
    name: str
    variant_label: str
    sku: str
    unit_price: Money
    quantity: int
    line_total: Money


class BuyerOut(Out):
    name: str
    phone: str
    address: str
    pin_code: str


def _lines(order) -> list[OrderLineOut]:
    return [
        OrderLineOut(
            product_id=line.product_id,
            variant_id=line.variant_id,
            name=line.name,
            variant_label=line.variant_label,
            sku=line.sku,
            unit_price=line.unit_price,
            quantity=line.quantity,
            line_total=line.line_total,
        )
        for line in order.lines.all()
    ]


def status_url(order) -> str:
    return f"{order.store.share_url}o/{order.public_token}/"


class OrderOut(Out):
    """An order as its store sees it."""

    id: int
    number: int
    status: OrderStatus
    payment_method: PaymentMethod
    payment_status: Literal[tuple(Order.PaymentStatus.values)]  # type: ignore[valid-type]
    currency: str
    total: Money
    buyer: BuyerOut
    lines: list[OrderLineOut]
    status_url: str = Field(description="The buyer's status page")
    created_at: datetime
    accepted_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None

    @classmethod
    def of(cls, order) -> OrderOut:
        return cls(
            id=order.pk,
            number=order.number,
            status=order.status,
            payment_method=order.payment_method,
            payment_status=order.payment_status,
            currency=order.currency,
            total=order.total,
            buyer=BuyerOut(
                name=order.buyer_name, phone=order.buyer_phone, address=order.address, pin_code=order.pin_code
            ),
            lines=_lines(order),
            status_url=status_url(order),
            created_at=order.created_at,
            accepted_at=order.accepted_at,
            shipped_at=order.shipped_at,
            delivered_at=order.delivered_at,
            cancelled_at=order.cancelled_at,
        )


class OrderPage(Out):
    items: list[OrderOut]
    next_cursor: str | None


class OrderStatusIn(In):
    status: OrderStatus = Field(description="accepted, shipped, delivered or cancelled")


# --- Buyer: the catalog ----------------------------------------------------------------------------


class CatalogCategoryOut(Out):
    id: int
    name: str
    product_count: int = Field(description="Visible products in it")


class PublicStoreOut(Out):
    name: str
    slug: str
    whatsapp: str
    currency: str
    logo_url: str
    share_url: str
    payment_methods: list[PaymentMethod]
    categories: list[CatalogCategoryOut]

    @classmethod
    def of(cls, catalog: StoreCatalog, payment_methods: list[str]) -> PublicStoreOut:
        return cls(
            name=catalog.name,
            slug=catalog.slug,
            whatsapp=catalog.whatsapp,
            currency=catalog.currency,
            logo_url=absolute_url(catalog.logo_url),
            share_url=settings.SITE_URL + catalog.share_path,
            payment_methods=payment_methods,
            categories=[
                CatalogCategoryOut(id=c.id, name=c.name, product_count=c.product_count)
                for c in catalog.categories
            ],
        )


class CatalogVariantOut(Out):
    id: int
    label: str
    price: Money
    stock: int | None
    in_stock: bool


class CatalogImageOut(Out):
    small_url: str
    large_url: str
    width: int
    height: int


class CatalogProductOut(Out):
    id: int
    name: str
    description: str
    price: Money
    compare_at_price: Money | None
    min_price: Money = Field(description="The lowest price of its variants, or its price")
    discount_percent: int
    category_id: int | None
    stock: int | None = Field(description="null = unlimited; a product with variants is sold by its variants")
    in_stock: bool
    option_names: list[str]
    variants: list[CatalogVariantOut]
    images: list[CatalogImageOut]
    url: str

    @classmethod
    def of(cls, product: CatalogProduct, catalog: StoreCatalog) -> CatalogProductOut:
        return cls(
            id=product.id,
            name=product.name,
            description=product.description,
            price=product.price,
            compare_at_price=product.compare_at_price,
            min_price=product.min_price,
            discount_percent=product.discount_percent,
            category_id=product.category_id,
            stock=product.stock,
            in_stock=product.in_stock,
            option_names=list(product.option_names),
            variants=[
                CatalogVariantOut(id=v.id, label=v.label, price=v.price, stock=v.stock, in_stock=v.in_stock)
                for v in product.variants
            ],
            images=[
                CatalogImageOut(
                    small_url=absolute_url(i.small_url),
                    large_url=absolute_url(i.large_url),
                    width=i.width,
                    height=i.height,
                )
                for i in product.images
            ],
            url=f"{settings.SITE_URL}{catalog.share_path}p/{product.id}/",
        )


class CatalogProductPage(Out):
    items: list[CatalogProductOut]
    next_cursor: str | None


class SearchProductOut(CatalogProductOut):
    highlighted_name: str = Field(
        description="The name, HTML-escaped, with the words that matched in <mark>…</mark>"
    )

    @classmethod
    def of_hit(cls, product: CatalogProduct, catalog: StoreCatalog, highlighted: str) -> SearchProductOut:
        return cls(**dict(CatalogProductOut.of(product, catalog)), highlighted_name=highlighted)


class CategoryCountOut(Out):
    id: int
    name: str
    count: int = Field(description="Matches in this category")


class SearchPage(Out):
    items: list[SearchProductOut]
    next_cursor: str | None
    total: int = Field(description="Every match, not just this page")
    categories: list[CategoryCountOut] = Field(
        description="Matches per category, whatever `category_id` is, biggest first"
    )


# --- Buyer: cart and checkout ------------------------------------------------------------------------


class LineIn(In):
    product_id: Id
    variant_id: Id | None = Field(default=None, description="Required when the product has variants")
    quantity: int = Field(description="1 or more")
    seen_price: MoneyIn | None = Field(
        default=None, description="The unit price the buyer was shown; a different price now stops the order"
    )


class QuoteIn(In):
    lines: list[LineIn] = Field(max_length=MAX_CART_LINES)


class QuotedLineOut(Out):
    product_id: int
    variant_id: int | None
    name: str
    variant_label: str
    image_url: str
    unit_price: Money
    quantity: int
    line_total: Money
    available: int | None = Field(description="In stock now; null = unlimited")


class QuoteOut(Out):
    lines: list[QuotedLineOut]
    total: Money
    currency: str
    ok: bool = Field(description="True when the cart can be ordered as it is")
    price_changes: list[str]
    problems: list[str]

    @classmethod
    def from_quote(cls, quote: Quote) -> QuoteOut:
        return cls(
            lines=[
                QuotedLineOut(
                    product_id=line.product_id,
                    variant_id=line.variant_id,
                    name=line.name,
                    variant_label=line.variant_label,
                    image_url=absolute_url(line.image_url),
                    unit_price=line.unit_price,
                    quantity=line.quantity,
                    line_total=line.line_total,
                    available=line.available,
                )
                for line in quote.lines
            ],
            total=quote.total,
            currency=quote.currency,
            ok=quote.ok,
            price_changes=list(quote.price_changes),
            problems=list(quote.problems),
        )


class BuyerIn(In):
    name: Text(200)  # type: ignore[valid-type]
    phone: Text(40)  # type: ignore[valid-type]
    address: Text(1000)  # type: ignore[valid-type]
    pin_code: Text(20)  # type: ignore[valid-type]


class PlaceOrderIn(In):
    lines: list[LineIn] = Field(max_length=MAX_CART_LINES)
    buyer: BuyerIn
    payment_method: PaymentMethod


class BuyerOrderOut(Out):
    """An order as its buyer sees it, at its unguessable token."""

    number: int
    token: str
    status: OrderStatus
    payment_method: PaymentMethod
    payment_status: Literal[tuple(Order.PaymentStatus.values)]  # type: ignore[valid-type]
    currency: str
    total: Money
    lines: list[OrderLineOut]
    store_name: str
    status_url: str
    upi_link: str | None = Field(description="A upi://pay link for the exact amount, while it is unpaid")
    created_at: datetime
    accepted_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None

    @classmethod
    def of(cls, order, upi_link: str | None) -> BuyerOrderOut:
        return cls(
            number=order.number,
            token=order.public_token,
            status=order.status,
            payment_method=order.payment_method,
            payment_status=order.payment_status,
            currency=order.currency,
            total=order.total,
            lines=_lines(order),
            store_name=order.store.name,
            status_url=status_url(order),
            upi_link=upi_link,
            created_at=order.created_at,
            accepted_at=order.accepted_at,
            shipped_at=order.shipped_at,
            delivered_at=order.delivered_at,
            cancelled_at=order.cancelled_at,
        )


ProblemOut.model_rebuild()
