"""What the API reads and writes, as pydantic schemas; the OpenAPI contract is generated from these.

Money goes out as a decimal string ("499.00") and comes in as a string or a JSON number, read
straight into a Decimal (the JSON parser never makes a float of it). Ids are bounded to what the
database can hold, and text may not carry NUL characters, which PostgreSQL cannot store: these
are shapes of data, not business rules; the rules stay in the services, which say what is wrong.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from dukaan.accounts.scopes import Scope
from dukaan.catalog.addresses import store_base_url, store_page_url
from dukaan.catalog.rules import CURRENCIES, MONEY_TEXT, parse_money
from dukaan.catalog.services import MAX_VARIANTS_PER_PRODUCT
from dukaan.catalog.snapshot import absolute_url
from dukaan.infra.integers import MAX_ID  # a larger id cannot name a row, and would overflow the query
from dukaan.orders.models import Order
from dukaan.orders.selectors import MAX_CART_LINES

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


class Out(Schema):
    """A response, read from the object it shows (`model_validate(obj)`): a member is an attribute of
    the same name, a `validation_alias` names another, and `resolve_<member>(obj, context)` computes
    one; managers are read as lists."""

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(cls, values, handler, info):
        # Replaces ninja's, which would read an instance already made (say, a page's items) again as
        # if it were the object it was read from, and run its resolvers on it.
        if isinstance(values, cls):
            return values
        return handler(DjangoGetter(values, cls, info.context))


# Buyers' apps need whole URLs (WhatsApp previews ignore relative ones).
AbsoluteUrl = Annotated[str, AfterValidator(absolute_url)]


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
    logo_url: AbsoluteUrl
    share_url: str
    created_at: datetime
    updated_at: datetime


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


class MeOut(Out):  # read from the token
    store: StoreOut
    token: TokenOut

    @staticmethod
    def resolve_token(token):
        return token


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
    original_url: AbsoluteUrl
    small_url: AbsoluteUrl
    large_url: AbsoluteUrl
    width: int
    height: int
    position: int

    @staticmethod
    def resolve_original_url(image) -> str:
        return default_storage.url(image.original)


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

    @staticmethod
    def resolve_url(product) -> str:
        return f"{product.store.share_url}p/{product.pk}/"


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

# Enums, not Literals: the document declares each once as a component, and a generated client has one
# class for it. Their values are the model's.
OrderStatus = StrEnum("OrderStatus", {value: value for value in Order.Status.values})
PaymentMethod = StrEnum("PaymentMethod", {value: value for value in Order.PaymentMethod.values})
PaymentStatus = StrEnum("PaymentStatus", {value: value for value in Order.PaymentStatus.values})


class OrderLineOut(Out):
    product_id: int | None = Field(description="null once the product is deleted")
    variant_id: int | None
    name: str
    variant_label: str
    sku: str
    unit_price: Money
    quantity: int
    line_total: Money
    discount: Money = Field(description="Its share of the order's discounts")
    hsn_code: str
    gst_rate: Money = Field(description="GST rate in percent")
    taxable_value: Money
    cgst: Money
    sgst: Money
    igst: Money


class DiscountOut(Out):
    source: Literal["coupon", "offer"]
    source_id: int = Field(description="The coupon's or the offer's id")
    label: str
    amount: Money


class ChargeOut(Out):
    kind: Literal["delivery", "cod"]
    amount: Money = Field(description="The fee as the store set it")
    hsn_code: str
    gst_rate: Money
    taxable_value: Money
    cgst: Money
    sgst: Money
    igst: Money
    gross: Money = Field(description="What the buyer pays for it: taxable value plus its GST")


class OrderMoney(Out):
    """An order's money, stored when it was placed: subtotal − discounts + fees (+ GST when the store's
    prices exclude it) = total. The lines' and charges' gross amounts add up to the total exactly."""

    currency: str
    subtotal: Money
    discount_total: Money
    delivery_fee: Money
    cod_fee: Money
    cgst: Money
    sgst: Money
    igst: Money
    total: Money
    prices_include_tax: bool
    gstin: str = Field(description="The seller's GSTIN when the order was placed; empty: no GST charged")
    coupon_code: str
    discounts: list[DiscountOut]
    charges: list[ChargeOut]
    amount_paid: Money = Field(description="Paid so far (by hand, matched from a statement, or online)")
    amount_refunded: Money = Field(description="Paid back so far")
    pay_reference: str = Field(description="The reference a UPI payment's note carries for this order")
    upi_amount: Money | None = Field(
        description="What the buyer is asked to pay by UPI now (the total plus a few paise that tell open "
        "orders apart); null when nothing is asked by UPI"
    )


class BuyerOut(Out):  # read from the order
    name: str = Field(validation_alias="buyer_name")
    phone: str = Field(validation_alias="buyer_phone")
    address: str
    pin_code: str


def _status_url(order) -> str:
    return f"{order.store.share_url}o/{order.public_token}/"


class OrderOut(OrderMoney):
    """An order as its store sees it."""

    id: int
    number: int
    status: OrderStatus
    payment_method: PaymentMethod
    payment_status: PaymentStatus
    buyer: BuyerOut
    lines: list[OrderLineOut]
    status_url: str = Field(description="The buyer's status page")
    created_at: datetime
    accepted_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None

    resolve_status_url = staticmethod(_status_url)

    @staticmethod
    def resolve_buyer(order):
        return order


class OrderPage(Out):
    items: list[OrderOut]
    next_cursor: str | None


class OrderStatusIn(In):
    # strict=False: a strict enum takes only its members, and JSON brings their values.
    status: OrderStatus = Field(
        description="placed (confirming an order awaiting confirmation), accepted, shipped, delivered, "
        "returned or cancelled",
        strict=False,
    )


# --- Buyer: the catalog ----------------------------------------------------------------------------


class CatalogCategoryOut(Out):
    id: int
    name: str
    product_count: int = Field(description="Visible products in it")


class PublicStoreOut(Out):  # read from a StoreCatalog, with `payment_methods` in the context
    name: str
    slug: str
    whatsapp: str
    currency: str
    logo_url: AbsoluteUrl
    share_url: str
    payment_methods: list[PaymentMethod]
    categories: list[CatalogCategoryOut]

    @staticmethod
    def resolve_share_url(catalog) -> str:
        return store_base_url(catalog.slug)

    @staticmethod
    def resolve_payment_methods(catalog, context) -> list[str]:
        return context["payment_methods"]


class CatalogVariantOut(Out):
    id: int
    label: str
    price: Money
    stock: int | None
    in_stock: bool


class CatalogImageOut(Out):
    small_url: AbsoluteUrl
    large_url: AbsoluteUrl
    width: int
    height: int


class CatalogProductOut(Out):  # read from a CatalogProduct, with its StoreCatalog in the context
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

    @staticmethod
    def resolve_url(product, context) -> str:
        return store_page_url(context["catalog"].slug, "storefront:product", product.id)


class CatalogProductPage(Out):
    items: list[CatalogProductOut]
    next_cursor: str | None


class SearchProductOut(CatalogProductOut):  # and `hits` in the context: the engine's hits by product id
    highlighted_name: str = Field(
        description="The name, HTML-escaped, with the words that matched in <mark>…</mark>"
    )

    related: bool = Field(
        description="A related product: it matches some words of the query, not all (after those that do)"
    )

    @staticmethod
    def resolve_highlighted_name(product, context) -> str:
        return context["hits"][product.id].highlighted_name

    @staticmethod
    def resolve_related(product, context) -> bool:
        return context["hits"][product.id].related


class CategoryCountOut(Out):
    id: int
    name: str
    count: int = Field(description="Matches in this category")


class SearchPage(Out):
    items: list[SearchProductOut]
    next_cursor: str | None
    total: int = Field(description="Every match, not just this page")
    related: int = Field(
        description="How many of `total` are related products, listed after the products matching every word "
        "(added when fewer than 10 match every word)"
    )
    did_you_mean: str | None = Field(
        description="The query with its typos corrected, when the words as typed are not the store's own"
    )
    categories: list[CategoryCountOut] = Field(
        description="Matches per category, whatever `category_id` is, biggest first"
    )


# --- Buyer: cart and checkout ------------------------------------------------------------------------


class LineIn(In):
    product_id: Id
    variant_id: Id | None = Field(default=None, description="Required when the product has variants")
    quantity: int = Field(ge=1, le=settings.ORDER_MAX_QUANTITY, description="1 or more")
    seen_price: MoneyIn | None = Field(
        default=None, description="The unit price the buyer was shown; a different price now stops the order"
    )


class QuoteIn(In):
    lines: list[LineIn] = Field(max_length=MAX_CART_LINES)
    pin_code: Text(20) | None = Field(  # type: ignore[valid-type]
        default=None, description="Where to deliver: prices delivery and decides CGST + SGST or IGST"
    )
    coupon_code: Text(40) | None = None  # type: ignore[valid-type]
    payment_method: PaymentMethod | None = Field(
        default=None, strict=False, description="cod adds the store's cash on delivery fee, if any"
    )


class QuotedLineOut(Out):
    product_id: int
    variant_id: int | None
    name: str
    variant_label: str
    image_url: AbsoluteUrl
    unit_price: Money
    quantity: int
    line_total: Money
    available: int | None = Field(description="In stock now; null = unlimited")
    discount: Money = Field(validation_alias="priced.discount", description="Its share of the discounts")
    hsn_code: str = Field(validation_alias="priced.hsn_code")
    gst_rate: Money = Field(validation_alias="priced.gst_rate", description="GST rate in percent")
    taxable_value: Money = Field(validation_alias="priced.taxable_value")
    cgst: Money = Field(validation_alias="priced.cgst")
    sgst: Money = Field(validation_alias="priced.sgst")
    igst: Money = Field(validation_alias="priced.igst")


class QuoteDeliveryOut(Out):
    pin_code: str
    deliverable: bool
    fee: Money
    zone: str = Field(description="The store's delivery zone the PIN code is in; empty: the flat fee")
    waived: bool = Field(description="Free because the order is above the store's free-delivery value")


class QuoteOut(Out):
    """The cart priced now, exactly as `place_order` would store it with the same inputs."""

    lines: list[QuotedLineOut]
    subtotal: Money = Field(validation_alias="pricing.subtotal")
    discounts: list[DiscountOut] = Field(validation_alias="pricing.discounts")
    discount_total: Money = Field(validation_alias="pricing.discount_total")
    delivery: QuoteDeliveryOut | None = Field(
        validation_alias="pricing.delivery", description="null until a pin_code is sent"
    )
    charges: list[ChargeOut] = Field(validation_alias="pricing.charges")
    cgst: Money = Field(validation_alias="pricing.cgst")
    sgst: Money = Field(validation_alias="pricing.sgst")
    igst: Money = Field(validation_alias="pricing.igst")
    total: Money
    currency: str
    coupon_code: str = Field(
        validation_alias="pricing.coupon_code", description="The code applied; empty: none"
    )
    coupon_note: str = Field(
        validation_alias="pricing.coupon_note", description="Why the code sent does not apply, if it does not"
    )
    ok: bool = Field(description="True when the cart can be ordered as it is")
    price_changes: list[str]
    problems: list[str]


class BuyerIn(In):
    name: Text(200)  # type: ignore[valid-type]
    phone: Text(40)  # type: ignore[valid-type]
    address: Text(1000)  # type: ignore[valid-type]
    pin_code: Text(20)  # type: ignore[valid-type]


class PlaceOrderIn(In):
    lines: list[LineIn] = Field(max_length=MAX_CART_LINES)
    buyer: BuyerIn
    payment_method: PaymentMethod = Field(strict=False)  # as OrderStatusIn.status
    coupon_code: Text(40) | None = None  # type: ignore[valid-type]
    expected_total: MoneyIn | None = Field(
        default=None,
        description="The total the buyer was shown (the quote's); another total now stops the order (409)",
    )


class BuyerOrderOut(OrderMoney):
    """An order as its buyer sees it, at its unguessable token."""

    # `upi_link` comes in the context.

    number: int
    token: str = Field(validation_alias="public_token")
    status: OrderStatus
    payment_method: PaymentMethod
    payment_status: PaymentStatus
    lines: list[OrderLineOut]
    store_name: str = Field(validation_alias="store.name")
    status_url: str
    upi_link: str | None = Field(description="A upi://pay link for the exact amount, while it is unpaid")
    created_at: datetime
    accepted_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None

    resolve_status_url = staticmethod(_status_url)

    @staticmethod
    def resolve_upi_link(order, context) -> str | None:
        return context["upi_link"]


ProblemOut.model_rebuild()
