"""Custom domains at the door (docs/domains.md): each request's Host is a platform host, a store's
verified domain (its pages served at /), or a 404; the endpoint Caddy asks before it gets a certificate
for a name; and the way from a platform link to the store's domain (storefront.views.follows_moved_store
sends it there), taking the buyer's cart along."""

import re
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.http import (
    HttpResponse,
    HttpResponseNotFound,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.http.request import split_domain_port, validate_host
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_safe

from dukaan.catalog.domains import slug_for_domain
from dukaan.infra.not_found import NotHere, page_not_found
from dukaan.orders.cart import SESSION_KEY as CARTS
from dukaan.orders.cart import Cart

from .found import found_store

DOMAIN_URLCONF = "dukaan.storefront.domain_urls"
STORE_LINK = re.compile(r"^/s/(?P<slug>[-a-zA-Z0-9_]+)/")
UNKNOWN_HOST = gettext_noop("There is no store at this address. Check the link, or ask the shop for theirs.")
# The buyer's cart on its way from the platform's host to the store's domain (its own session cookie).
CART_PARAM = "cart-from-link"
CART_SALT = "dukaan.storefront.domains.cart"
CART_SECONDS = 5 * 60


class HttpResponsePermanentRedirectKeepingMethod(HttpResponsePermanentRedirect):
    status_code = 308


def permanent_redirect(request, location: str) -> HttpResponsePermanentRedirect:
    """301 for GET and HEAD; 308 for a form, so the browser posts it again to the new address."""
    if request.method in ("GET", "HEAD"):
        return HttpResponsePermanentRedirect(location)
    return HttpResponsePermanentRedirectKeepingMethod(location)


def is_platform_host(host: str) -> bool:
    """Is `host` (a Host header, port and all) one of the platform's own (PLATFORM_HOSTS)?"""
    return validate_host(split_domain_port(host)[0], settings.PLATFORM_HOSTS)


class CustomDomainMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_platform_host(request.get_host()):
            return self.get_response(request)
        host, _port = split_domain_port(request.get_host())
        slug = slug_for_domain(host)
        if not slug:
            # Before LocaleMiddleware: the browser's language, as that would pick it.
            with translation.override(translation.get_language_from_request(request)):
                return page_not_found(request, NotHere(translation.gettext(UNKNOWN_HOST)))
        request.urlconf = DOMAIN_URLCONF
        request.domain_store_slug = slug
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        slug = getattr(request, "domain_store_slug", None)
        if slug is not None and "slug" in view_kwargs:
            view_kwargs["slug"] = slug


def to_own_domain(request, slug: str, domain: str) -> HttpResponse:
    """/s/<slug>/… of a store with a verified domain: the same page and query there (301; 308 for a form,
    so the browser posts it again). A buyer whose session has a cart in the store gets a signed copy of
    its lines in the address too, for the domain to take in (take_cart): no cache may keep that one."""
    link = STORE_LINK.match(request.path_info)
    location = f"https://{domain}/{request.path_info[link.end() :] if link else ''}"
    query = request.META.get("QUERY_STRING", "")
    token = _cart_token(request, slug) if request.method == "GET" else ""
    if token:
        query += ("&" if query else "") + urlencode({CART_PARAM: token})
    response = permanent_redirect(request, location + (f"?{query}" if query else ""))
    if token:
        patch_cache_control(response, private=True, no_store=True)
    return response


def _cart_token(request, slug: str) -> str:
    if settings.SESSION_COOKIE_NAME not in request.COOKIES or not request.session.get(CARTS):
        return ""  # no cart in any store: no need to know which store this is
    found = found_store(slug)
    lines = Cart(request.session, found.id).kept() if found else {}
    if not (found and lines):
        return ""
    return signing.dumps({"store": found.id, "lines": lines}, salt=CART_SALT, compress=True)


def take_cart(request, slug: str) -> HttpResponse:
    """A page of the store's domain asked with the cart the platform handed over: its lines go into this
    session's cart (Cart.merge: a bigger cart here stays), then the same page without it, so the token
    neither stays in the address bar nor goes along when the link is shared. A bad, expired or another
    store's token changes nothing."""
    try:
        handed = signing.loads(request.GET[CART_PARAM], salt=CART_SALT, max_age=CART_SECONDS)
    except signing.BadSignature:  # expired ones too
        handed = None
    found = found_store(slug) if isinstance(handed, dict) else None
    if found is not None and handed.get("store") == found.id:
        Cart(request.session, found.id).merge(handed.get("lines"))
    query = request.GET.copy()
    del query[CART_PARAM]
    response = HttpResponseRedirect(request.path + (f"?{query.urlencode()}" if query else ""))
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_safe
def allowed(request):
    """Caddy's on-demand TLS asks here before getting a certificate for a name: 200 for a verified
    store domain, 404 for anything else, so no one makes it ask Let's Encrypt for names we do not serve."""
    domain = request.GET.get("domain", "").strip().lower().rstrip(".")
    if domain and slug_for_domain(domain):
        return HttpResponse("ok\n", content_type="text/plain")
    return HttpResponseNotFound("not a verified store domain\n", content_type="text/plain")
