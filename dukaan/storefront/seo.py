"""Being found: a store's address, its sitemap and robots.txt, the platform's, and a product's JSON-LD.

A store's address comes from catalog.addresses, the one place a custom domain will change.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from dukaan.catalog.addresses import store_base_url, store_page_url, store_path
from dukaan.catalog.selectors import (
    last_store_id,
    listed_category_ids,
    store_slugs_and_domains_between,
    visible_products_updated,
)
from dukaan.catalog.snapshot import CatalogProduct, StoreCatalog, absolute_url
from dukaan.infra.integers import request_int
from dukaan.infra.not_found import NotHere

from .found import found_store_or_404

# The sitemap protocol's limit of URLs in one sitemap, and of sitemaps in one sitemap index.
SITEMAP_MAX_URLS = 50_000
SITEMAP_XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"
# A store's pages that are one buyer's own: no search engine should crawl them.
PERSONAL_SECTIONS = ("cart", "checkout", "o")
IN_STOCK, OUT_OF_STOCK = "https://schema.org/InStock", "https://schema.org/OutOfStock"


def _id_paths(view: str):
    """`store_path` for a page named by one id, as a function of the id: the pattern is reversed once,
    since reverse() for each of a sitemap's 50,000 products would take seconds."""
    head, tail = store_path(view, 0).rsplit("0", 1)
    return lambda pk: f"{head}{pk}{tail}"


# --- JSON-LD --------------------------------------------------------------------------------------

# JSON inside <script> ends at the first "</script>"; these as \u escapes stay the same JSON text.
_SCRIPT_SAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def _price(amount) -> str:
    return f"{amount:.2f}"


def product_json_ld(catalog: StoreCatalog, item: CatalogProduct, url: str) -> SafeString:
    """schema.org Product data for a product page, as the body of a <script type="application/ld+json">.
    One Offer at the selling price, or an AggregateOffer (lowest and highest) when its variants' prices
    differ. No brand: the store selling a product is not its brand."""
    availability = IN_STOCK if item.in_stock else OUT_OF_STOCK
    offer: dict = {"priceCurrency": catalog.currency, "availability": availability, "url": url}
    if item.price_varies:
        prices = [variant.price for variant in item.variants]
        offer = {
            "@type": "AggregateOffer",
            "lowPrice": _price(min(prices)),
            "highPrice": _price(max(prices)),
            "offerCount": len(prices),
            **offer,
        }
    else:
        offer = {"@type": "Offer", "price": _price(item.min_price), **offer}
    data: dict = {"@context": "https://schema.org", "@type": "Product", "name": item.name}
    if item.description:
        data["description"] = item.description
    if item.images:
        data["image"] = [absolute_url(image.large_url) for image in item.images]
    if item.sku:
        data["sku"] = item.sku
    data.update(url=url, offers=offer)
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(_SCRIPT_SAFE))  # noqa: S308 (escaped above)


# --- Sitemaps and robots.txt ----------------------------------------------------------------------


def kept_at_the_edge(response: HttpResponse, tags: list[str]) -> HttpResponse:
    """Mark a page every anonymous visitor shares: public for shared caches, with s-maxage and
    stale-while-revalidate, and tagged (`xkey`) so a purge of any of `tags` drops it."""
    patch_cache_control(
        response,
        public=True,
        max_age=0,
        s_maxage=settings.STOREFRONT_S_MAXAGE,
        stale_while_revalidate=settings.STOREFRONT_STALE_WHILE_REVALIDATE,
    )
    if tags:
        response["xkey"] = " ".join(tags)
    return response


def _xml(body: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _url(loc: str, lastmod=None) -> str:
    modified = f"<lastmod>{lastmod.isoformat(timespec='seconds')}</lastmod>" if lastmod else ""
    return f"<url><loc>{escape(loc)}</loc>{modified}</url>\n"


def store_sitemap(request, slug: str):
    """The store's home, its categories with something to buy, and its visible products, newest first,
    with when each product last changed. At most SITEMAP_MAX_URLS URLs: past that, the oldest
    products are left out (docs/seo.md)."""
    store_id = found_store_or_404(slug).id
    categories = listed_category_ids(store_id)[: SITEMAP_MAX_URLS - 1]
    products = visible_products_updated(store_id, SITEMAP_MAX_URLS - 1 - len(categories))
    home, category, product = (
        store_base_url(slug),
        _id_paths("storefront:category"),
        _id_paths("storefront:product"),
    )
    body = "".join(
        [
            f'<urlset xmlns="{SITEMAP_XMLNS}">\n',
            _url(home),
            *(_url(home + category(pk)) for pk in categories),
            *(_url(home + product(pk), updated) for pk, updated in products),
            "</urlset>\n",
        ]
    )
    # Tagged as the store's pages are: any change to its catalog purges it.
    return kept_at_the_edge(HttpResponse(_xml(body), content_type="application/xml"), [f"store-{store_id}"])


def _robots(allow: str, disallow: list[str], sitemaps: list[str]) -> HttpResponse:
    lines = ["User-agent: *", f"Allow: {allow}", *(f"Disallow: {path}" for path in disallow), ""]
    lines += [f"Sitemap: {url}" for url in sitemaps]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def store_robots(request, slug: str):
    """What a store's own domain will answer at /robots.txt: its pages yes, its buyers' pages no."""
    store_id = found_store_or_404(slug).id
    home = urlsplit(store_base_url(slug)).path
    return kept_at_the_edge(
        _robots(
            home,
            [f"{home}{section}/" for section in PERSONAL_SECTIONS],
            [store_page_url(slug, "storefront:sitemap")],
        ),
        [f"store-{store_id}"],
    )


def _index_pages() -> int:
    """How many pages the platform's sitemap index has: one per SITEMAP_MAX_URLS store ids given out."""
    return max(1, -(-last_store_id() // SITEMAP_MAX_URLS))


def platform_robots(request):
    """The platform's robots.txt: stores' pages may be crawled; the dashboard, the API, the admin and
    buyers' own pages (carts, checkouts, orders) may not. One Sitemap line per page of the index."""
    index = settings.SITE_URL + reverse("sitemap_index")
    sitemaps = [index, *(f"{index}?page={number}" for number in range(2, _index_pages() + 1))]
    personal = [f"/s/*/{section}/" for section in PERSONAL_SECTIONS]
    return kept_at_the_edge(_robots("/s/", ["/dashboard/", "/api/", "/admin/", *personal], sitemaps), [])


def sitemap_index(request):
    """Every store's sitemap, SITEMAP_MAX_URLS store ids a page (?page=2 the next), by id: each page is
    a range of the primary key, and a store keeps its page for good."""
    number = request_int(request.GET.get("page", "1"))
    if number is None or number > _index_pages():
        raise NotHere(_("There is no such page of the sitemap index: pages are numbered 1, 2, 3…"))
    first = (number - 1) * SITEMAP_MAX_URLS + 1
    stores = store_slugs_and_domains_between(first, first + SITEMAP_MAX_URLS - 1)
    sitemap = store_path("storefront:sitemap")
    entries = (
        f"<sitemap><loc>{escape(store_base_url(slug, domain) + sitemap)}</loc></sitemap>\n"
        for slug, domain in stores
    )
    body = f'<sitemapindex xmlns="{SITEMAP_XMLNS}">\n{"".join(entries)}</sitemapindex>\n'
    return kept_at_the_edge(HttpResponse(_xml(body), content_type="application/xml"), [])
