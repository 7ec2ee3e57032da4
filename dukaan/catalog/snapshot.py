"""The catalog snapshot: a store's public catalog as plain, picklable data, built in a fixed few queries.

The buyer's read model: every public page and the buyer API render from a `StoreCatalog`. The whole
store's (`store_catalog(store_id)`) holds every visible product, filtered, searched and paginated in
Python; a page's (`store_catalog(store_id, shown)`, `shown` a `ListingPage` or `ProductsById`) holds
the same store, categories and parts but only the products that page shows, so its queries are
bounded by the page, not by the store (docs/benchmarks/storefront.md, "Cold path"). It holds only
str / int / Decimal / None inside frozen dataclasses and tuples, so it pickles into the cache:
`store_catalog()` reads it through the cache the storefront registers (its `catalog_cache`),
`build_store_catalog()` builds it from the database. How a product sells (its price, discount and
stock state) is decided by `rules`, as everywhere else.
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
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery

from . import rules
from .addresses import store_home_path
from .models import Category, Product, ProductImage, ProductVariant, Store
from .rules import CURRENCIES, options_label
from .selectors import LOOK_FIELDS, STORE_DATA_FIELDS, look_from
from .templatetags.money import money
from .themes import StoreLook

SEARCH_MAX_WORDS = 8
# The cache key version of the snapshot: bump it when these dataclasses change shape or module, so a
# deploy never unpickles a snapshot an older release stored. 3: they moved here from storefront.selectors.
# 4: `parts` (delivery note, offers); bump it too when a part's own dataclasses change.
# 5: `product_count`, `cover`, `category_cover` (pages' catalogs hold only what they show).
# 6: a product's `sku` (the product page's JSON-LD). 7: the store's `look` (themes.StoreLook).
# 8: the store's `language`; the parts' texts in every language (infra.i18n.InEachLanguage).
SNAPSHOT_VERSION = 8


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
    sku: str = ""  # the product's own; "" when it has none

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
    # Visible products only, newest first: all of them, or in a page's catalog only those it shows.
    products: tuple[CatalogProduct, ...]
    product_count: int  # the store's visible products, whichever of them `products` holds
    # The first image of the store's products, newest first: what link previews show of a store with
    # no logo. A page's catalog holds it only where the page shows it (see _needs_cover).
    cover: CatalogImage | None
    # The pieces packages above the catalog add (add_snapshot_part), by name: {"delivery": ..., ...}.
    parts: dict[str, object] = field(default_factory=dict)
    # True when the cache handed out the previous copy while another process rebuilds it: good for
    # this one page, but a page drawn from it must not be kept by any shared cache.
    is_previous_copy: bool = False
    # A page's catalog of one category's listing: the first image of that category's products.
    category_cover: CatalogImage | None = None
    look: StoreLook = StoreLook()
    language: str = settings.LANGUAGE_CODE  # the buyers' default (Store.language)

    @cached_property
    def _products_by_id(self) -> dict[int, CatalogProduct]:
        return {product.id: product for product in self.products}

    @property
    def currency_symbol(self) -> str:
        return CURRENCIES.get(self.currency, self.currency + " ")

    @property
    def share_path(self) -> str:
        return store_home_path(self.slug)

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


@dataclass(frozen=True)
class ListingPage:
    """A page of the store's products, newest first: all of them, or one category's. `number` is the
    page asked for, resolved as Django's Paginator.get_page does (below 1 or past the end: the last)."""

    category_id: int | None
    number: int
    per_page: int

    @property
    def key(self) -> str:
        return f"list:{self.category_id or ''}:{self.number}:{self.per_page}"


@dataclass(frozen=True)
class ProductsById:
    """The products of a page that names them (a product page, a search's hits); ids not among the
    store's visible products are left out."""

    ids: tuple[int, ...]

    @property
    def key(self) -> str:
        return "ids:" + ",".join(map(str, self.ids))


Shown = ListingPage | ProductsById


def listing_page(total: int, number: int, per_page: int) -> Page:
    """Which page of a listing of `total` products `number` stands for, as the storefront pages it."""
    return Paginator(range(total), per_page).get_page(number)


def _catalog_products(
    store_id: int, products: QuerySet[Product], scope: dict | None = None
) -> tuple[CatalogProduct, ...]:
    """These products, in their order, with their variants and images: three queries. `scope` narrows
    the variants' and images' queries to them (default: their ids); every filter names store_id, which
    keeps tenants apart."""
    rows = list(
        products.values(
            "id", "name", "description", "price", "compare_at_price", "category_id", "stock", "sku"
        )
    )
    scope = scope or {"product_id__in": [row["id"] for row in rows]}
    variants = variants_by_product(ProductVariant.objects.filter(store_id=store_id, **scope))
    images = defaultdict(list)
    for product_id, small, large, width, height in (
        ProductImage.objects.filter(store_id=store_id, **scope)
        .order_by("product_id", "position", "id")
        .values_list("product_id", "small", "large", "width", "height")
    ):
        images[product_id].append(_image(small, large, width, height))
    return tuple(
        CatalogProduct(
            **row,
            variants=tuple(variant for variant, _ in variants.get(row["id"], ())),
            option_names=tuple(
                dict.fromkeys(option for _, options in variants.get(row["id"], ()) for option in options)
            ),
            images=tuple(images.get(row["id"], ())),
        )
        for row in rows
    )


def _image(small: str, large: str, width: int, height: int) -> CatalogImage:
    return CatalogImage(
        small_url=default_storage.url(small), large_url=default_storage.url(large), width=width, height=height
    )


def _first_image(store_id: int, products: tuple[CatalogProduct, ...], **filters) -> CatalogImage | None:
    """The first image of the store's visible products (those matching `filters`), newest first.
    `products` are the first of them when the page shows the start of that listing: the image is then
    theirs, if one has any, with no query; else the listing is walked by its index until a product
    with an image, so a few rows, not the store's."""
    if products:
        first = next((product.image for product in products if product.image), None)
        if first is not None:
            return first
    with_images = ProductImage.objects.filter(store_id=store_id, product_id=OuterRef("pk"))
    newest = (
        Product.objects.filter(store_id=store_id, is_active=True, **filters)
        .filter(Exists(with_images))
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[:1]
    )
    row = (
        ProductImage.objects.filter(store_id=store_id, product_id__in=newest)
        .order_by("position", "id")
        .values_list("small", "large", "width", "height")
        .first()
    )
    return _image(*row) if row else None


def _page_products(
    store_id: int, shown: Shown, counts: dict[int | None, int]
) -> tuple[tuple[CatalogProduct, ...], tuple[CatalogProduct, ...]]:
    """The products the page shows, and those of them that begin their listing (for _first_image)."""
    visible = Product.objects.filter(store_id=store_id, is_active=True)
    if isinstance(shown, ProductsById):
        found = {
            product.id: product for product in _catalog_products(store_id, visible.filter(pk__in=shown.ids))
        }
        return tuple(found[pk] for pk in dict.fromkeys(shown.ids) if pk in found), ()
    if shown.category_id:
        visible = visible.filter(category_id=shown.category_id)
    total = counts.get(shown.category_id, 0) if shown.category_id else sum(counts.values())
    number = listing_page(total, shown.number, shown.per_page).number
    start = (number - 1) * shown.per_page
    products = _catalog_products(
        store_id, visible.order_by("-created_at", "-id")[start : start + shown.per_page]
    )
    return products, products if number == 1 else ()


def _needs_cover(
    shown: Shown, products: tuple[CatalogProduct, ...], category_cover: CatalogImage | None
) -> bool:
    """Whether the page shows the store's first image (where it has no logo): a home page does, a
    category's page when the category has none, a product's when the product has none, a search."""
    if isinstance(shown, ListingPage):
        return not shown.category_id or category_cover is None
    return not products or not all(product.image for product in products)


def _counted(products: QuerySet) -> Subquery:
    """How many of `products` there are, as a subquery (NULL for none). COUNT(*), not of a column, so
    PostgreSQL counts the entries of product_store_category (store, visible, category, …) without
    reading a row: an index-only scan of those entries (the heap is read only for pages autovacuum has
    not marked all-visible yet, as after a bulk import)."""
    return Subquery(products.order_by().values("store_id").annotate(n=Count("*")).values("n"))


def build_store_catalog(store_id: int, shown: Shown | None = None) -> StoreCatalog | None:
    """Build one store's public catalog, None if there is no such store. Without `shown`: every
    visible product, in five queries and one per part, whatever the store's size. With it: only the
    products that page shows, in the same five queries and one per part, each bounded by the page (the
    counts of the store's products, by category and in none, walk an index once, not the rows); a query more
    for the store's first image when neither a logo nor the page's products give it, and for a
    category's page its first image when the page does not show it."""
    visible = Product.objects.filter(store_id=store_id, is_active=True)
    store = Store.objects.filter(pk=store_id)
    fields = (*STORE_DATA_FIELDS, "language")
    if shown is not None:  # the store's visible products in no category, counted on the same row
        store, fields = (
            store.annotate(uncategorized=_counted(visible.filter(category=None))),
            (*fields, "uncategorized"),
        )
    # The store's look on the same row: a join to its StoreTheme (none: the default look).
    looks = {f"look_{name}": F(f"theme__{name}") for name in LOOK_FIELDS}
    store = store.values(*fields, **looks).first()
    if store is None:
        return None
    # Every query is scoped by store_id: it is what keeps tenants apart and lets stores be sharded.
    # The joins to products name it on both sides, so a large store's join never walks other stores'.
    categories = Category.objects.filter(store_id=store_id).values_list("id", "name")
    category_cover = None
    if shown is None:
        products = _catalog_products(
            store_id, visible, {"product__store_id": store_id, "product__is_active": True}
        )
        counts = Counter(product.category_id for product in products)
        product_count = len(products)
        names = list(categories)
        cover = next((product.image for product in products if product.image), None)
    else:
        in_category = visible.filter(category_id=OuterRef("pk"))
        rows = list(categories.annotate(n=_counted(in_category)).values_list("id", "name", "n"))
        names = [(category_id, name) for category_id, name, _ in rows]
        # The store's count is the categories' and the rest's: each product's index entry is counted once.
        counts = Counter({category_id: n or 0 for category_id, _, n in rows})
        counts[None] = store["uncategorized"] or 0
        product_count = sum(counts.values())
        products, starting = _page_products(store_id, shown, counts)
        if isinstance(shown, ListingPage) and shown.category_id and shown.category_id in counts:
            category_cover = _first_image(store_id, starting, category_id=shown.category_id)
        cover = None
        if not store["logo"] and _needs_cover(shown, products, category_cover):
            home = isinstance(shown, ListingPage) and not shown.category_id
            cover = _first_image(store_id, starting if home else ())
    catalog = StoreCatalog(
        store_id=store["id"],
        name=store["name"],
        slug=store["slug"],
        whatsapp=store["whatsapp"],
        currency=store["currency"],
        upi_id=store["upi_id"],
        language=store["language"],
        logo_url=default_storage.url(store["logo"]) if store["logo"] else "",
        categories=tuple(
            CatalogCategory(id=category_id, name=name, product_count=counts.get(category_id, 0))
            for category_id, name in names
        ),
        products=products,
        product_count=product_count,
        cover=cover,
        category_cover=category_cover,
        look=look_from({name: store[f"look_{name}"] for name in LOOK_FIELDS}),
    )

    def in_currency(amount: Decimal) -> str:
        return money(amount, catalog)

    return replace(catalog, parts={name: build(store_id, in_currency) for name, build in _parts.items()})


Reader = Callable[[int, Shown | None], StoreCatalog | None]
# The storefront registers its cache's read-through here (StorefrontConfig.ready), so that every package
# reads snapshots cached without importing the storefront; until then they are built from the database.
_reader: Reader = build_store_catalog


def read_snapshots_with(reader: Reader) -> None:
    global _reader
    _reader = reader


def store_catalog(store_id: int, shown: Shown | None = None) -> StoreCatalog | None:
    """One store's public catalog, from the cache (built on a miss); None if there is no such store.
    With `shown`, a page's catalog: only the products that page shows (see build_store_catalog)."""
    return _reader(store_id, shown)
