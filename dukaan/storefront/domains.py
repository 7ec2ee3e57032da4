"""Custom domains at the door (docs/domains.md): each request's Host is a platform host, a store's
verified domain (its pages served at /), or a 404; a platform link of a store with a domain redirects
there; and the endpoint Caddy asks before it gets a certificate for a name."""

import re

from django.conf import settings
from django.http import (
    HttpResponse,
    HttpResponseNotFound,
    HttpResponsePermanentRedirect,
)
from django.http.request import split_domain_port, validate_host
from django.views.decorators.http import require_safe

from dukaan.catalog.domains import slug_for_domain, verified_domain

from .views import HttpResponsePermanentRedirectKeepingMethod

DOMAIN_URLCONF = "dukaan.storefront.domain_urls"
STORE_LINK = re.compile(r"^/s/(?P<slug>[-a-zA-Z0-9_]+)/")
UNKNOWN_HOST = "There is no store at this address. Check the link, or ask the shop for theirs.\n"


class CustomDomainMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        host, _port = split_domain_port(request.get_host())
        if validate_host(host, settings.PLATFORM_HOSTS):
            return self._to_own_domain(request) or self.get_response(request)
        slug = slug_for_domain(host)
        if not slug:
            return HttpResponseNotFound(UNKNOWN_HOST, content_type="text/plain; charset=utf-8")
        request.urlconf = DOMAIN_URLCONF
        request.domain_store_slug = slug
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        slug = getattr(request, "domain_store_slug", None)
        if slug is not None and "slug" in view_kwargs:
            view_kwargs["slug"] = slug

    @staticmethod
    def _to_own_domain(request) -> HttpResponse | None:
        """/s/<slug>/… of a store with a verified domain: the same page there (301; 308 for a form, so the
        browser posts it again)."""
        link = STORE_LINK.match(request.path_info)
        if link is None:
            return None
        domain = verified_domain(link["slug"])
        if not domain:
            return None
        location = f"https://{domain}/{request.path_info[link.end() :]}"
        if request.META.get("QUERY_STRING"):
            location += "?" + request.META["QUERY_STRING"]
        if request.method in ("GET", "HEAD"):
            return HttpResponsePermanentRedirect(location)
        return HttpResponsePermanentRedirectKeepingMethod(location)


@require_safe
def allowed(request):
    """Caddy's on-demand TLS asks here before getting a certificate for a name: 200 for a verified
    store domain, 404 for anything else, so no one makes it ask Let's Encrypt for names we do not serve."""
    domain = request.GET.get("domain", "").strip().lower().rstrip(".")
    if domain and slug_for_domain(domain):
        return HttpResponse("ok\n", content_type="text/plain")
    return HttpResponseNotFound("not a verified store domain\n", content_type="text/plain")
