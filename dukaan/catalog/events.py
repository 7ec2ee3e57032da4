"""The catalog's events: every type it (and checkout, for stock) writes, and what each carries.

Everything a buyer sees goes to one aggregate type, `catalog` (topic dukaan.catalog), so each
store's catalog changes stay in one order. Payment-detail alerts go to `store` (dukaan.store):
only the notifier reads them, and it need not read every price edit to find them.
"""

from decimal import Decimal
from typing import Any, NotRequired, TypedDict

from dukaan.events.contract import EventType, declare

CATALOG = "catalog"
STORE = "store"


class StoreData(TypedDict):
    id: int
    name: str
    slug: str
    whatsapp: str
    currency: str
    upi_id: str
    logo: str  # storage path of the thumbnail, "" when none


class CategoryData(TypedDict):
    id: int
    name: str


class Deleted(TypedDict):
    id: int


class VariantData(TypedDict):
    id: int
    options: dict[str, str]
    price: Decimal
    sku: str
    stock: int | None


class ImageData(TypedDict):
    id: int
    small: str
    large: str


class ProductSnapshot(TypedDict):
    """A product with its variants and images, and its version for versioned upserts."""

    id: int
    version: int
    name: str
    description: str
    price: Decimal
    compare_at_price: Decimal | None
    sku: str
    stock: int | None
    category_id: int | None
    is_active: bool
    variants: list[VariantData]
    images: list[ImageData]


class StockChanged(TypedDict):
    id: int
    variant_id: NotRequired[int | None]  # None or absent: the product's own stock
    stock: int | None  # None: unlimited
    version: int


class CatalogImported(TypedDict):
    store: StoreData
    categories: int
    products: int
    source: str


class PoliciesChanged(TypedDict):
    kinds: list[str]  # the policies whose text changed (policies.KINDS)


class ThemeChanged(TypedDict):
    theme: str
    colour: str  # "" for the theme's own


class PaymentDetailsChanged(TypedDict):
    entries: list[int]  # the owner's audit entries (accounts.AuditEntry) naming each change


STORE_CREATED = declare("store.created", aggregatetype=CATALOG, payload=StoreData)
STORE_UPDATED = declare("store.updated", aggregatetype=CATALOG, payload=StoreData)
CATEGORY_CREATED = declare("category.created", aggregatetype=CATALOG, payload=CategoryData)
CATEGORY_UPDATED = declare("category.updated", aggregatetype=CATALOG, payload=CategoryData)
CATEGORY_DELETED = declare("category.deleted", aggregatetype=CATALOG, payload=Deleted)
PRODUCT_CREATED = declare("product.created", aggregatetype=CATALOG, payload=ProductSnapshot)
PRODUCT_UPDATED = declare("product.updated", aggregatetype=CATALOG, payload=ProductSnapshot)
PRODUCT_DELETED = declare("product.deleted", aggregatetype=CATALOG, payload=Deleted)
STOCK_CHANGED = declare("stock.changed", aggregatetype=CATALOG, payload=StockChanged)
# The store's policy pages changed: the cache group purges its pages, which the policy pages are among.
POLICIES_CHANGED = declare("store.policies_changed", aggregatetype=CATALOG, payload=PoliciesChanged)
# The store's look changed (theme, colour, banner, announcement): every page of the store shows it.
THEME_CHANGED = declare("store.theme_changed", aggregatetype=CATALOG, payload=ThemeChanged)
# A bulk load (`dukaan seed`): projections rebuild the whole store.
CATALOG_IMPORTED = declare("catalog.imported", aggregatetype=CATALOG, payload=CatalogImported)
PAYMENT_DETAILS_CHANGED = declare(
    "payment_details.changed", aggregatetype=STORE, payload=PaymentDetailsChanged
)

# Changes to one product, named by the payload's `id`.
PRODUCT_CHANGES: frozenset[EventType[Any]] = frozenset(
    {PRODUCT_CREATED, PRODUCT_UPDATED, PRODUCT_DELETED, STOCK_CHANGED}
)
# Changes that can touch any of the store's products (a name, a category, the whole catalog).
STORE_WIDE_CHANGES: frozenset[EventType[Any]] = frozenset(
    {STORE_CREATED, STORE_UPDATED, CATEGORY_CREATED, CATEGORY_UPDATED, CATEGORY_DELETED, CATALOG_IMPORTED}
)
