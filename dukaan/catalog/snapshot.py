"""The catalog snapshot: a store's public catalog as plain, picklable data, built in a fixed few queries.

The buyer's read model: every public page and the buyer API render from a `StoreCatalog`, filtering,
searching and paginating it in Python. It holds only str / int / Decimal / None inside frozen
dataclasses and tuples, so it pickles into the cache: `store_catalog()` reads it through the cache
the storefront registers (its `catalog_cache`), `build_store_catalog()` builds it from the database. How a
product sells (its price, discount and stock state) is decided by `rules`, as everywhere else.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.db.models import QuerySet

from . import rules
from .models import Category, Product, ProductImage, ProductVariant, Store
from .rules import CURRENCIES, options_label
from .selectors import STORE_DATA_FIELDS
from .templatetags.money import money

SEARCH_MAX_WORDS = 8
# The cache key version of the snapshot: bump it when these dataclasses change shape or module, so a
# deploy never unpickles a snapshot an older release stored. 3: they moved here from storefront.selectors.
# 4: `parts` (delivery note, offers); bump it too when a part's own dataclasses change.
SNAPSHOT_VERSION = 4


def absolute_url(url: str) -> str:
    """A media or page URL as buyers' apps need it (WhatsApp previews ignore relative URLs)."""
    if not url or url.startswith(("http://", "https://")):
        return url
    if url.startswith("//"):
        return "https:" + url
    return settings.SITE_URL + url


@dataclass(frozen=True)
class CatalogImage:
    small_url: str
    large_url: str
    width: int
    height: int


@dataclass(frozen=True)
class CatalogVariant:
    id: int
    label: str
    price: Decimal
    stock: int | None  # None = unlimited

    @property
    def in_stock(self) -> bool:
        return rules.in_stock(self.stock)


@dataclass(frozen=True)
class CatalogProduct:
    id: int
    name: str
    description: str
    price: Decimal
    compare_at_price: Decimal | None
    category_id: int | None
    stock: int | None  # the product's own count; a product with variants is sold by its variants
    variants: tuple[CatalogVariant, ...] = ()
    option_names: tuple[str, ...] = ()  # e.g. ("Size", "Colour"), from the variants' options
    images: tuple[CatalogImage, ...] = ()

    @property
    def discount_percent(self) -> int:
        return rules.discount_percent(self.price, self.compare_at_price)

    @property
    def image(self) -> CatalogImage | None:
        return self.images[0] if self.images else None

    @property
    def has_variants(self) -> bool:
        return bool(self.variants)

    @property
    def in_stock(self) -> bool:
        return rules.product_in_stock(self.stock, (variant.stock for variant in self.variants))

    @property
    def min_price(self) -> Decimal:
        return rules.selling_price(self.price, (variant.price for variant in self.variants))

    @property
    def price_varies(self) -> bool:
        return len({variant.price for variant in self.variants}) > 1

    def variant(self, variant_id: int | None) -> CatalogVariant | None:
        return next((v for v in self.variants if v.id == variant_id), None)

    def unit_price(self, variant: CatalogVariant | None) -> Decimal:
        return variant.price if variant else self.price

    def line_name(self, variant: CatalogVariant | None) -> str:
        return f"{self.name} ({variant.label})" if variant else self.name


@dataclass(frozen=True)
class CatalogCategory:
    id: int
    name: str
    product_count: int  # visible products only


@dataclass(frozen=True)
class StoreCatalog:
    store_id: int
    name: str
    slug: str
    whatsapp: str
    currency: str
    upi_id: str
    logo_url: str
    categories: tuple[CatalogCategory, ...]
    products: tuple[CatalogProduct, ...]  # visible products only, newest first
    # The pieces packages above the catalog add (add_snapshot_part), by name: {"delivery": ..., ...}.
    parts: dict[str, object] = field(default_factory=dict)
    # True when the cache handed out the previous copy while another process rebuilds it: good for
    # this one page, but a page drawn from it must not be kept by any shared cache.
    is_previous_copy: bool = False

    @cached_property
    def _products_by_id(self) -> dict[int, CatalogProduct]:
        return {product.id: product for product in self.products}

    @property
    def currency_symbol(self) -> str:
        return CURRENCIES.get(self.currency, self.currency + " ")

    @property
    def share_path(self) -> str:
        return f"/s/{self.slug}/"

    @property
    def whatsapp_digits(self) -> str:
        return "".join(ch for ch in self.whatsapp if ch.isdigit())

    @property
    def listed_categories(self) -> tuple[CatalogCategory, ...]:
        """Categories worth a link: those with something to buy."""
        return tuple(category for category in self.categories if category.product_count)

    def product(self, product_id: int) -> CatalogProduct | None:
        return self._products_by_id.get(product_id)

    def category(self, category_id: int) -> CatalogCategory | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def products_in(self, category_id: int) -> list[CatalogProduct]:
        return [product for product in self.products if product.category_id == category_id]

    def search(self, query: str) -> list[CatalogProduct]:
        """Products whose name or description holds every word of the query, ignoring case.

        Name matches come first. A stand-in until the search engine of a later issue.
        """
        words = query.casefold().split()[:SEARCH_MAX_WORDS]
        if not words:
            return []
        in_name: list[CatalogProduct] = []
        in_description: list[CatalogProduct] = []
        for product in self.products:
            name = product.name.casefold()
            text = name + "\n" + product.description.casefold()
            if all(word in text for word in words):
                (in_name if all(word in name for word in words) else in_description).append(product)
        return in_name + in_description


def variants_by_product(
    variants: QuerySet[ProductVariant],
) -> dict[int, list[tuple[CatalogVariant, dict[str, str]]]]:
    """These variants by product id, each product's in its order, with their options ({} where the
    stored options are not a mapping). One query."""
    found: dict[int, list[tuple[CatalogVariant, dict[str, str]]]] = defaultdict(list)
    for product_id, variant_id, options, price, stock in variants.order_by(
        "product_id", "position", "id"
    ).values_list("product_id", "id", "options", "price", "stock"):
        options = options if isinstance(options, dict) else {}
        variant = CatalogVariant(id=variant_id, label=options_label(options), price=price, stock=stock)
        found[product_id].append((variant, options))
    return found


Money = Callable[[Decimal], str]
SnapshotPart = Callable[[int, Money], object]
_parts: dict[str, SnapshotPart] = {}


def add_snapshot_part(name: str, build: SnapshotPart) -> None:
    """A piece of every store's snapshot that a package above the catalog owns (its delivery terms,
    its offers), added from that package's AppConfig.ready(). `build(store_id, money)` makes it in one
    query at most, as plain picklable data (`money` shows an amount in the store's currency); pages
    read it as `catalog.parts[name]`."""
    if _parts.get(name, build) is not build:
        raise ImproperlyConfigured(f"Two snapshot parts are named {name!r}")
    _parts[name] = build


def build_store_catalog(store_id: int) -> StoreCatalog | None:
    """Build one store's public catalog in five queries and one per part, whatever its size; None if
    there is no such store."""
    store = Store.objects.filter(pk=store_id).values(*STORE_DATA_FIELDS).first()
    if store is None:
        return None
    # Every query is scoped by store_id: it is what keeps tenants apart and lets stores be sharded.
    # The joins to products name it on both sides, so a large store's join never walks other stores'.
    products = list(
        Product.objects.filter(store_id=store_id, is_active=True).values(
            "id", "name", "description", "price", "compare_at_price", "category_id", "stock"
        )
    )
    variants = variants_by_product(
        ProductVariant.objects.filter(store_id=store_id, product__store_id=store_id, product__is_active=True)
    )
    images = defaultdict(list)
    for product_id, small, large, width, height in (
        ProductImage.objects.filter(store_id=store_id, product__store_id=store_id, product__is_active=True)
        .order_by("product_id", "position", "id")
        .values_list("product_id", "small", "large", "width", "height")
    ):
        images[product_id].append(
            CatalogImage(
                small_url=default_storage.url(small),
                large_url=default_storage.url(large),
                width=width,
                height=height,
            )
        )
    catalog_products = tuple(
        CatalogProduct(
            **row,
            variants=tuple(variant for variant, _ in variants.get(row["id"], ())),
            option_names=tuple(
                dict.fromkeys(option for _, options in variants.get(row["id"], ()) for option in options)
            ),
            images=tuple(images.get(row["id"], ())),
        )
        for row in products
    )
    counts = Counter(product.category_id for product in catalog_products)
    categories = tuple(
        CatalogCategory(id=category_id, name=name, product_count=counts.get(category_id, 0))
        for category_id, name in Category.objects.filter(store_id=store_id).values_list("id", "name")
    )
    catalog = StoreCatalog(
        store_id=store["id"],
        name=store["name"],
        slug=store["slug"],
        whatsapp=store["whatsapp"],
        currency=store["currency"],
        upi_id=store["upi_id"],
        logo_url=default_storage.url(store["logo"]) if store["logo"] else "",
        categories=categories,
        products=catalog_products,
    )

    def in_currency(amount: Decimal) -> str:
        return money(amount, catalog)

    return replace(catalog, parts={name: build(store_id, in_currency) for name, build in _parts.items()})


Reader = Callable[[int], StoreCatalog | None]
# The storefront registers its cache's read-through here (StorefrontConfig.ready), so that every package
# reads snapshots cached without importing the storefront; until then they are built from the database.
_reader: Reader = build_store_catalog


def read_snapshots_with(reader: Reader) -> None:
    global _reader
    _reader = reader


def store_catalog(store_id: int) -> StoreCatalog | None:
    """One store's public catalog, from the cache (built on a miss); None if there is no such store."""
    return _reader(store_id)
