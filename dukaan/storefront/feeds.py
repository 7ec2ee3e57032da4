"""Product feeds that list a store on Google Shopping and on Instagram and Facebook: an RSS 2.0 feed
with Google's `g:` fields (/s/<slug>/feeds/google.xml) and a CSV as Meta's catalogs read it
(/s/<slug>/feeds/meta.csv). One entry per visible product, or per variant with the product as its
group. Read from the whole store's catalog snapshot, as the buyer API is: five queries through the
catalog cache whatever the store's size, and purged at the edge with the store's pages (docs/feeds.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.xmlreader import AttributesImpl

from django.http import HttpResponse
from django.utils.xmlutils import SimplerXMLGenerator

from dukaan.catalog import rules
from dukaan.catalog.addresses import store_base_url
from dukaan.catalog.snapshot import StoreCatalog, absolute_url

from .views import _catalog_or_404, _for_the_edge

GOOGLE_NAMESPACE = "http://base.google.com/ns/1.0"
NO_ATTRIBUTES = AttributesImpl({})
META_COLUMNS = (
    "id",
    "title",
    "description",
    "availability",
    "condition",
    "price",
    "sale_price",
    "link",
    "image_link",
    "brand",
    "item_group_id",
)


@dataclass(frozen=True)
class FeedItem:
    """One product, or one variant of a product, as both feeds list it."""

    id: str
    group_id: str  # the product's id for a variant; "" for a product without variants
    title: str
    description: str
    link: str
    image_link: str  # "" when the product has no photo
    in_stock: bool
    price: str  # the regular price, "699.00 INR": the compare-at price when on sale
    sale_price: str  # the price it sells at when on sale, else ""


def _text(value: str) -> str:
    # Forms and the API refuse these in names and descriptions now; a row saved before may still
    # hold one, and XML 1.0 cannot carry it at all.
    return rules.CONTROL_CHARACTERS.sub("", value).strip()


def feed_items(catalog: StoreCatalog) -> Iterator[FeedItem]:
    """The store's visible products (the snapshot holds no others), each variant on its own."""

    def amount(value: Decimal) -> str:
        return f"{value:.2f} {catalog.currency}"

    store_url = store_base_url(catalog.slug)
    for product in catalog.products:
        # storefront:product's path, spelled out: reverse() per product was half a large feed's time.
        link = f"{store_url}p/{product.id}/"
        image = absolute_url(product.image.large_url) if product.image else ""
        # Both Google and Meta want a description; a product without one is described by its name.
        description = _text(product.description) or _text(product.name)
        for variant in product.variants or (None,):
            unit_price = product.unit_price(variant)
            # On sale as the storefront counts a discount, for this entry's own price: then Google and
            # Meta want the regular (compare-at) price as the price, and the selling one as sale price.
            on_sale = rules.discount_percent(unit_price, product.compare_at_price) > 0
            regular = product.compare_at_price if on_sale and product.compare_at_price else unit_price
            yield FeedItem(
                id=f"{product.id}-{variant.id}" if variant else str(product.id),
                group_id=str(product.id) if variant else "",
                title=_text(product.line_name(variant)),
                description=description,
                link=link,
                image_link=image,
                in_stock=variant.in_stock if variant else product.in_stock,
                price=amount(regular),
                sale_price=amount(unit_price) if on_sale else "",
            )


def google(request, slug: str):
    """Google Merchant Center's RSS 2.0 product feed."""
    catalog = _catalog_or_404(request, slug)
    # Written to memory, then answered at once: a write to the response per string costs more.
    out = io.StringIO()
    xml = SimplerXMLGenerator(out, "utf-8", short_empty_elements=True)
    xml.startDocument()
    xml.startElement("rss", AttributesImpl({"version": "2.0", "xmlns:g": GOOGLE_NAMESPACE}))
    xml.startElement("channel", NO_ATTRIBUTES)
    xml.addQuickElement("title", _text(catalog.name))
    xml.addQuickElement("link", store_base_url(catalog.slug))
    xml.addQuickElement("description", f"Products of {_text(catalog.name)}")
    for item in feed_items(catalog):
        xml.startElement("item", NO_ATTRIBUTES)
        xml.addQuickElement("g:id", item.id)
        xml.addQuickElement("title", item.title)
        xml.addQuickElement("description", item.description)
        xml.addQuickElement("link", item.link)
        if item.image_link:
            xml.addQuickElement("g:image_link", item.image_link)
        xml.addQuickElement("g:availability", "in_stock" if item.in_stock else "out_of_stock")
        xml.addQuickElement("g:price", item.price)
        if item.sale_price:
            xml.addQuickElement("g:sale_price", item.sale_price)
        xml.addQuickElement("g:condition", "new")
        if item.group_id:
            xml.addQuickElement("g:item_group_id", item.group_id)
        # No GTIN, MPN or brand is kept for a product: Google asks to say so rather than leave them out.
        xml.addQuickElement("g:identifier_exists", "no")
        xml.endElement("item")
        xml.ignorableWhitespace("\n")  # an entry a line: no line grows with the store
    xml.endElement("channel")
    xml.endElement("rss")
    xml.endDocument()
    response = HttpResponse(out.getvalue(), content_type="application/xml; charset=utf-8")
    return _for_the_edge(request, response, catalog, [])


def meta(request, slug: str):
    """Meta's catalog CSV (Commerce Manager: Data sources → Data feed → scheduled feed)."""
    catalog = _catalog_or_404(request, slug)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(META_COLUMNS)
    for item in feed_items(catalog):
        writer.writerow(
            (
                item.id,
                item.title,
                item.description,
                "in stock" if item.in_stock else "out of stock",
                "new",
                item.price,
                item.sale_price,
                item.link,
                item.image_link,
                "",  # brand: not kept for a product (docs/feeds.md)
                item.group_id,
            )
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    return _for_the_edge(request, response, catalog, [])
