"""What the search engine is told about each visible product, read from the database.

A document's price and stock follow the catalog's rules (`catalog.rules.selling_price` and
`.product_in_stock`), as the snapshot's products do, so a filter on the search page agrees with what
the product page then shows. Every reader here makes a fixed few queries (variants, products, their
categories), whatever the number of products.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from dukaan.catalog.models import Category, Product, ProductVariant
from dukaan.catalog.rules import product_in_stock, selling_price
from dukaan.catalog.snapshot import variants_by_product

from .backend import ProductDocument

# A product's columns that a document holds as they are; its price, stock and age are worked out.
COPIED_COLUMNS = ("id", "store_id", "version", "name", "description", "category_id")


def documents_for_store(store_id: int) -> list[ProductDocument]:
    """Every visible product of the store."""
    return documents_of(
        Product.objects.filter(store_id=store_id, is_active=True),
        ProductVariant.objects.filter(store_id=store_id, product__is_active=True),
    )


def all_documents(chunk: int = 2000) -> Iterator[list[ProductDocument]]:
    """Every visible product of every store, `chunk` documents per list, in id order."""
    last = 0
    while True:
        ids = list(
            Product.objects.filter(is_active=True, pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:chunk]
        )
        if not ids:
            return
        between = {"pk__gte": ids[0], "pk__lte": ids[-1]}
        yield documents_of(
            Product.objects.filter(is_active=True, **between),
            ProductVariant.objects.filter(
                product__is_active=True, product_id__gte=ids[0], product_id__lte=ids[-1]
            ),
        )
        last = ids[-1]


def documents_of(
    products: QuerySet[Product], variants: QuerySet[ProductVariant] | None = None
) -> list[ProductDocument]:
    """Documents of these products, in id order. `variants` must hold at least their variants
    (by default: found with a subquery on `products`)."""
    if variants is None:
        variants = ProductVariant.objects.filter(product__in=products.values("pk"))
    variants_of = variants_by_product(variants)
    rows = list(products.order_by("pk").values(*COPIED_COLUMNS, "price", "stock", "created_at"))
    # Category names by the ids found, not by a join: a join bounded only by ids may be met, at a
    # large store, by walking every store's categories.
    category_ids = {row["category_id"] for row in rows if row["category_id"] is not None}
    category_names = dict(Category.objects.filter(pk__in=category_ids).values_list("pk", "name"))
    documents = []
    for row in rows:
        found = variants_of.get(row["id"], ())
        # Each "name: value" once, in first-seen order.
        labels = dict.fromkeys(
            f"{option}: {value}" for _, options in found for option, value in options.items()
        )
        documents.append(
            ProductDocument(
                **{column: row[column] for column in COPIED_COLUMNS},
                category_name=category_names.get(row["category_id"]) or "",
                price=selling_price(row["price"], (variant.price for variant, _ in found)),
                in_stock=product_in_stock(row["stock"], (variant.stock for variant, _ in found)),
                created_at=row["created_at"].timestamp(),
                variant_labels=", ".join(labels),
            )
        )
    return documents
