"""Reads of the catalog used by more than one caller."""

from datetime import datetime
from typing import NamedTuple, cast

from django.core.files.storage import default_storage
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone

from dukaan.accounts.roles import Role
from dukaan.infra.queries import only_row

from .events import ProductSnapshot, StoreData
from .models import (
    Category,
    Product,
    ProductVariant,
    ReleasedSlug,
    Store,
    StoreDomain,
    StorePolicies,
    StoreTheme,
)
from .policies import KINDS
from .themes import StoreLook

# The fields of a store and of a product that events carry, in their order: the payloads' own keys.
STORE_DATA_FIELDS = tuple(StoreData.__annotations__)
PRODUCT_DATA_FIELDS = tuple(
    name for name in ProductSnapshot.__annotations__ if name not in ("variants", "images")
)


def store_data(store: Store) -> StoreData:
    """A store as events carry it."""
    return cast(StoreData, {name: getattr(store, name) for name in STORE_DATA_FIELDS})


def product_data(product: Product) -> ProductSnapshot:
    """A product with its variants and images as events carry it (a full snapshot, with its version)."""
    return cast(
        ProductSnapshot,
        {
            **{name: getattr(product, name) for name in PRODUCT_DATA_FIELDS},
            "variants": [
                {"id": v.pk, "options": v.options, "price": v.price, "sku": v.sku, "stock": v.stock}
                for v in product.variants.all()
            ],
            "images": [{"id": i.pk, "small": i.small, "large": i.large} for i in product.images.all()],
        },
    )


def stores_of(user_id: int) -> list[tuple[Store, Role]]:
    """The stores a person may open in the dashboard, with their role in each: the one they own first,
    then those they are on the staff of, by name. One query: a UNION of the two, so each side reads its
    own index (an OR of the two would read every store)."""
    owned = Store.objects.filter(owner_id=user_id).annotate(member_role=Value(Role.OWNER.value))
    helped = Store.objects.filter(memberships__user_id=user_id).annotate(member_role=F("memberships__role"))
    rows = owned.union(helped, all=True).order_by("name", "pk")
    found = [(store, Role(store.member_role)) for store in rows]
    return sorted(found, key=lambda pair: pair[1] != Role.OWNER)


def store_products(
    *, store: Store, query: str = "", category_id: int | None = None, visibility: str = ""
) -> QuerySet[Product]:
    """The merchant's product list, filtered; a list row's needs come in a fixed number of queries."""
    products = (
        Product.objects.filter(store=store).select_related("category").prefetch_related("images", "variants")
    )
    if query:
        # The variants' SKUs through a subquery scoped to the store: a join on variants would repeat
        # products (needing DISTINCT) and is bounded only by product ids, which at a large store the
        # planner may meet by walking every store's variants.
        variant_skus = ProductVariant.objects.filter(store=store, sku__iexact=query).values("product_id")
        products = products.filter(Q(name__icontains=query) | Q(sku__iexact=query) | Q(pk__in=variant_skus))
    if category_id:
        products = products.filter(category_id=category_id)
    if visibility == "visible":
        products = products.filter(is_active=True)
    elif visibility == "hidden":
        products = products.filter(is_active=False)
    elif visibility == "out_of_stock":
        products = products.filter(sold_out())
    return products


def sold_out() -> Q:
    """Products that cannot be sold now, as a filter: rules.product_in_stock said in SQL. A product with
    variants is sold out when none of them is in stock; one without, when its own count is 0."""
    variants = ProductVariant.objects.filter(product=OuterRef("pk"))
    in_stock_variants = variants.filter(Q(stock__isnull=True) | Q(stock__gt=0))
    return (Q(Exists(variants)) & ~Q(Exists(in_stock_variants))) | (~Q(Exists(variants)) & Q(stock=0))


def store_categories(store: Store) -> QuerySet[Category]:
    return Category.objects.filter(store=store)


def store_id_for_slug(slug: str) -> int | None:
    return only_row(Store.objects.filter(slug=slug).values_list("id", flat=True))


class StoreFound(NamedTuple):
    id: int
    language: str
    domain: str  # its verified custom domain, "" for none


NO_STORE = StoreFound(0, "", "")  # what a slug no store has reads as, where "no domain" is enough


def store_for_slug(slug: str) -> StoreFound | None:
    """The store's id, its buyers' language and its verified domain, in one query (the domain read by
    the store's key, docs/domains.md)."""
    domain = StoreDomain.objects.filter(pk=OuterRef("pk"), verified_at__isnull=False).values("domain")[:1]
    found = only_row(
        Store.objects.filter(slug=slug)
        .annotate(verified=Subquery(domain))
        .values_list("id", "language", "verified")
    )
    return StoreFound(found[0], found[1], found[2] or "") if found else None


def store_policies(store_id: int) -> dict[str, str]:
    """The store's own policy texts by kind; "" where it uses the starting text."""
    saved = only_row(StorePolicies.objects.filter(store_id=store_id).values(*KINDS))
    return saved or dict.fromkeys(KINDS, "")


# StoreTheme's fields that make a StoreLook; the snapshot reads them on the store's own row (a join).
LOOK_FIELDS = (
    "theme",
    "colour",
    "banner",
    "banner_width",
    "banner_height",
    "announcement",
    "announcement_link",
)


def look_from(row: dict) -> StoreLook:
    """A StoreLook from StoreTheme's LOOK_FIELDS; a store with no row (None or missing) has the default."""
    if not row.get("theme"):
        return StoreLook()
    fields = {name: row[name] for name in LOOK_FIELDS if name != "banner"}
    return StoreLook(**fields, banner_url=default_storage.url(row["banner"]) if row["banner"] else "")


def store_look(store_id: int) -> StoreLook:
    """The store's look, for the pages that read no snapshot (cart, checkout, order): one query."""
    return look_from(only_row(StoreTheme.objects.filter(store_id=store_id).values(*LOOK_FIELDS)) or {})


def moved_slug(slug: str) -> str | None:
    """The current link of the store that gave up `slug` within its reservation, else None.

    Asked only after `slug` found no store, so the pages buyers reach pay nothing for it."""
    return only_row(
        ReleasedSlug.objects.filter(
            slug=slug, store__isnull=False, reserved_until__gt=timezone.now()
        ).values_list("store__slug", flat=True)
    )


def listed_category_ids(store_id: int) -> list[int]:
    """The store's categories that have a visible product, in their order: the ones worth a link.
    Each category's check walks the product_store_category index for one entry."""
    visible = Product.objects.filter(store_id=store_id, is_active=True, category_id=OuterRef("pk"))
    return list(
        Category.objects.filter(store_id=store_id).filter(Exists(visible)).values_list("id", flat=True)
    )


def visible_products_updated(store_id: int, limit: int) -> list[tuple[int, datetime]]:
    """(id, updated_at) of the store's visible products, newest first, at most `limit`: the order of
    the product_store_listing index, so the rows are read from it, not sorted."""
    visible = Product.objects.filter(store_id=store_id, is_active=True).order_by("-created_at", "-id")
    return list(visible.values_list("id", "updated_at")[:limit])


def last_store_id() -> int:
    """The highest store id given out (0 for none): the end of the primary key's index, one entry read."""
    return Store.objects.aggregate(last=Max("pk"))["last"] or 0


def store_slugs_and_domains_between(first_id: int, last_id: int) -> list[tuple[str, str]]:
    """The slugs of the stores whose ids are in [first_id, last_id], by id (a range of the primary key),
    each with its verified custom domain or "". Two queries however many stores, each on a range of its
    table's primary key."""
    domains = dict(
        StoreDomain.objects.filter(
            store_id__gte=first_id, store_id__lte=last_id, verified_at__isnull=False
        ).values_list("store_id", "domain")
    )
    stores = Store.objects.filter(pk__gte=first_id, pk__lte=last_id).order_by("pk").values_list("pk", "slug")
    return [(slug, domains.get(pk, "")) for pk, slug in stores]
