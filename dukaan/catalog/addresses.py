"""Where a store's pages are: https://<its domain>/ once it has a verified custom domain, else
SITE_URL/s/<slug>/. This is the one place that says so: canonical links, sitemaps, feeds, share links
and QR codes follow."""

from django.conf import settings
from django.urls import reverse


def store_base_url(slug: str, domain: str | None = None) -> str:
    """The absolute address of a store's home page, ending in "/"; every page of the store is under it.
    `domain`: its verified custom domain ("" for none) when the caller read it already (a list of stores)."""
    if domain is None:
        # Here, not at the top: models.py imports this module, and domains.py imports the models.
        from .domains import verified_domain

        domain = verified_domain(slug)
    return f"https://{domain}/" if domain else f"{settings.SITE_URL}/s/{slug}/"


def store_home_path(slug: str) -> str:
    """The store's home as a link on the page being served: /s/<slug>/, or / on the store's own domain."""
    return reverse("storefront:store_home", args=[slug])


def store_path(view: str, *args) -> str:
    """Where a store's page is under its base URL: "p/12/" for storefront:product with 12."""
    # The platform's URLs even while a custom domain's request is served (request.urlconf).
    return reverse(view, urlconf=settings.ROOT_URLCONF, args=["-", *args]).removeprefix("/s/-/")


def store_page_url(slug: str, view: str, *args) -> str:
    """The absolute address of one of a store's pages, `view` a storefront URL name ("storefront:product")."""
    return store_base_url(slug) + store_path(view, *args)
