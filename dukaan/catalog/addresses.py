"""Where a store's pages are: SITE_URL/s/<slug>/ today. This is the one place that says so, so that a
custom domain changes it here and canonical links, sitemaps, feeds and share links follow."""

from django.conf import settings
from django.urls import reverse


def store_base_url(slug: str) -> str:
    """The absolute address of a store's home page, ending in "/"; every page of the store is under it."""
    return f"{settings.SITE_URL}/s/{slug}/"


def store_path(view: str, *args) -> str:
    """Where a store's page is under its base URL: "p/12/" for storefront:product with 12."""
    return reverse(view, args=["-", *args]).removeprefix("/s/-/")


def store_page_url(slug: str, view: str, *args) -> str:
    """The absolute address of one of a store's pages, `view` a storefront URL name ("storefront:product")."""
    return store_base_url(slug) + store_path(view, *args)
