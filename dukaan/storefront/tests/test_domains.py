"""A store on its own domain: its pages at /, its links there, its platform links redirected there,
and no other store (nor any unknown host) ever served there."""

import html
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dukaan.catalog import domains
from dukaan.catalog.models import StoreDomain
from dukaan.conftest import asgi_get, asgi_page
from dukaan.orders.models import Order
from dukaan.storefront.domains import CART_PARAM, CART_SALT, CART_SECONDS

from .conftest import make_product

pytestmark = pytest.mark.django_db

SITE = "https://dukaan.example"
DOMAIN = "shop.asha.in"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def on_domain(store):
    """The store with DOMAIN verified (the DNS check itself: catalog/tests/test_domains.py)."""
    domains.add_domain(store=store, domain=DOMAIN)
    StoreDomain.objects.filter(store=store).update(verified_at=timezone.now())
    return store


def text(response) -> str:
    return html.unescape(response.content.decode())


def get(client, path: str, host: str = DOMAIN, **extra):
    return client.get(path, HTTP_HOST=host, **extra)


def test_the_domain_serves_the_store_home_with_its_links_at_the_root(client, on_domain, simple_product):
    page = get(client, "/")

    assert page.status_code == 200
    body = text(page)
    assert on_domain.name in body and "Steel tiffin" in body
    assert f'<link rel="canonical" href="https://{DOMAIN}/">' in body
    assert f'href="/p/{simple_product.pk}/"' in body and 'href="/cart/"' in body
    assert "/s/" not in re.sub(r'(src|content)="[^"]*"', "", body)  # no link back to the platform path


def test_a_product_page_on_the_domain_has_the_domains_canonical_and_share_links(
    client, on_domain, simple_product
):
    page = get(client, f"/p/{simple_product.pk}/")

    assert page.status_code == 200
    body = text(page)
    canonical = f"https://{DOMAIN}/p/{simple_product.pk}/"
    assert f'<link rel="canonical" href="{canonical}">' in body
    assert f'<meta property="og:url" content="{canonical}">' in body


def test_a_buyer_orders_on_the_domain_from_cart_to_order_page(client, on_domain, simple_product, buyer_form):
    added = client.post("/cart/add/", {"product": simple_product.pk, "quantity": 2}, HTTP_HOST=DOMAIN)
    assert added.status_code == 302 and added.url == f"/p/{simple_product.pk}/"
    assert "2 × ₹250" in text(get(client, "/cart/"))
    client.post("/cart/pin/", {"pin_code": "560038", "next": "checkout"}, HTTP_HOST=DOMAIN)
    assert "Place order · ₹500" in text(get(client, "/checkout/"))

    placed = client.post("/checkout/", buyer_form, HTTP_HOST=DOMAIN)

    order = Order.objects.get()
    assert placed.status_code == 302 and placed.url == f"/o/{order.public_token}/"
    status = get(client, placed.url)
    assert status.status_code == 200 and f"Order #{order.number}" in text(status)


def test_robots_sitemap_and_feed_on_the_domain_name_the_domain(client, on_domain, simple_product):
    robots = text(get(client, "/robots.txt"))
    sitemap = text(get(client, "/sitemap.xml"))
    feed = text(get(client, "/feeds/google.xml"))

    assert f"Sitemap: https://{DOMAIN}/sitemap.xml" in robots
    assert f"<loc>https://{DOMAIN}/p/{simple_product.pk}/</loc>" in sitemap
    assert f"https://{DOMAIN}/p/{simple_product.pk}/" in feed and SITE not in feed


def test_a_page_on_the_domain_costs_only_the_hosts_lookup_more_than_on_the_platform(
    client, on_domain, simple_product, other_store
):
    make_product(other_store)  # the same shelf as on_domain's, at its platform link
    domains._lookups.clear()  # this process has seen neither store yet
    with CaptureQueriesContext(connection) as on_the_platform:
        assert client.get(f"/s/{other_store.slug}/").status_code == 200
    with CaptureQueriesContext(connection) as on_its_domain:
        assert get(client, "/").status_code == 200
    with CaptureQueriesContext(connection) as redirected:
        assert client.get(f"/s/{on_domain.slug}/").status_code == 301

    # One query finds the store by its slug, its domain with it (none of its own: it was one more).
    by_slug = [query["sql"] for query in on_the_platform.captured_queries if other_store.slug in query["sql"]]
    assert len(by_slug) == 1 and "catalog_storedomain" in by_slug[0]
    assert len(on_its_domain) == len(on_the_platform) + 1  # the Host's store
    assert len(redirected) == 0  # the store's domain was read with the store by the page before


def test_the_platform_link_redirects_to_the_same_page_on_the_domain(client, on_domain, simple_product):
    page = client.get(f"/s/{on_domain.slug}/p/{simple_product.pk}/?utm_source=whatsapp")
    home = client.get(f"/s/{on_domain.slug}/")
    form = client.post(f"/s/{on_domain.slug}/cart/add/", {"product": simple_product.pk, "quantity": 1})

    assert page.status_code == 301
    assert page["Location"] == f"https://{DOMAIN}/p/{simple_product.pk}/?utm_source=whatsapp"
    assert home.status_code == 301 and home["Location"] == f"https://{DOMAIN}/"
    # A form posted to the old address is posted again, to the domain.
    assert form.status_code == 308 and form["Location"] == f"https://{DOMAIN}/cart/add/"


def test_a_store_without_a_domain_stays_at_its_platform_link(client, store, other_store):
    domains.add_domain(store=other_store, domain="shop.bala.in")  # asked for, never verified

    assert client.get(f"/s/{other_store.slug}/").status_code == 200
    assert text(client.get(f"/s/{store.slug}/")).count(f'href="{SITE}/s/{store.slug}/"') == 1  # canonical


@pytest.mark.parametrize("host", ["unknown.example.org", "shop.bala.in", "127.0.0.2"])
def test_an_unknown_or_unverified_host_is_a_clear_404_never_a_store(client, on_domain, other_store, host):
    domains.add_domain(store=other_store, domain="shop.bala.in")  # not verified

    page = get(client, "/", host=host)

    assert page.status_code == 404
    assert "There is no store at this address" in text(page)
    assert on_domain.name not in text(page) and other_store.name not in text(page)


def test_an_unknown_host_says_so_in_the_browsers_language(client):
    page = client.get("/", HTTP_HOST="unknown.example.org", HTTP_ACCEPT_LANGUAGE="hi")
    assert page.status_code == 404 and '<html lang="hi">' in text(page)
    assert "इस पते पर कोई दुकान नहीं है।" in text(page)


def test_the_domain_serves_no_other_store_and_no_platform_page(client, on_domain, other_store):
    assert get(client, f"/s/{other_store.slug}/").status_code == 404
    assert get(client, f"/{other_store.slug}/").status_code == 404
    assert get(client, "/dashboard/").status_code == 404
    assert get(client, "/domains/allowed", QUERY_STRING=f"domain={DOMAIN}").status_code == 404


def test_the_platform_keeps_its_own_pages(client, on_domain):
    assert client.get("/robots.txt").status_code == 200
    assert client.get("/dashboard/").status_code == 302


def test_caddy_may_get_a_certificate_only_for_a_verified_domain(client, on_domain, other_store):
    domains.add_domain(store=other_store, domain="shop.bala.in")

    def asked(name: str) -> int:
        return client.get("/domains/allowed", {"domain": name}).status_code

    assert asked(DOMAIN) == 200 and asked(DOMAIN.upper() + ".") == 200
    assert asked("shop.bala.in") == 404  # not verified
    assert asked("dukaan.example") == 404 and asked("") == 404 and asked("127.0.0.1") == 404


def test_the_dashboard_shares_the_domain_in_the_link_and_the_qr_code(client, on_domain):
    client.force_login(on_domain.owner)

    home = client.get("/dashboard/").content.decode()

    assert f'id="share-link">https://{DOMAIN}/</a>' in home
    assert "https://wa.me/?text=Shop%20at%20Store%20asha-store%3A%20https%3A//shop.asha.in/" in home
    # The QR code's squares are those of the domain's address.
    squares = re.compile(r' d="([^"]+)"')
    assert squares.findall(home) == squares.findall(segno.make(f"https://{DOMAIN}/", error="m").svg_inline())


def verify(store, domain: str):
    domains.add_domain(store=store, domain=domain)
    StoreDomain.objects.filter(store=store).update(verified_at=timezone.now())


@pytest.mark.django_db(transaction=True)  # the service renders in its own threads
def test_the_storefront_service_keeps_each_domains_pages_apart_until_the_store_changes(
    on_domain, other_store, simple_product
):
    from dukaan.storefront.service import StorefrontApp

    verify(other_store, "shop.bala.in")
    app = StorefrontApp()
    app.pages.forget_all(subscribed=True)  # as when the invalidation feed is up

    status, headers, first = asgi_page(app, "/", DOMAIN)
    assert status == 200 and on_domain.name.encode() in first and b"Steel tiffin" in first
    assert asgi_page(app, "/", DOMAIN)[2] == first and app.counters.page_hits == 1
    # The same address on another store's domain is that store's page, never the one kept for DOMAIN.
    status, _, other = asgi_page(app, "/", "shop.bala.in")
    assert status == 200 and other_store.name.encode() in other and on_domain.name.encode() not in other
    assert asgi_page(app, "/", "shop.bala.in")[2] == other and app.counters.page_hits == 2
    # Neither an unknown host nor the platform link (a redirect to the domain) is kept.
    assert asgi_page(app, "/", "unknown.example.org")[0] == 404
    assert asgi_get(app, f"/s/{on_domain.slug}/")[1]["location"] == f"https://{DOMAIN}/"
    assert len(app.pages.pages) == 2

    app._invalidate(str(on_domain.pk).encode())  # the store changed: the feed says so

    assert asgi_page(app, "/", "shop.bala.in")[2] == other and app.counters.page_hits == 3
    rendered = app.counters.rendered
    assert asgi_page(app, "/", DOMAIN)[0] == 200
    assert app.counters.rendered == rendered + 1 and app.counters.page_hits == 3


def test_the_buyers_cart_goes_along_to_the_stores_new_domain(client, store, simple_product, dns_server):
    second = make_product(store, name="Brass lamp", price="400.00", stock=5)
    client.post(f"/s/{store.slug}/cart/add/", {"product": simple_product.pk, "quantity": 2})
    client.post(f"/s/{store.slug}/cart/add/", {"product": second.pk, "quantity": 1})
    # The shopkeeper's domain is verified while the buyer shops.
    added = domains.add_domain(store=store, domain=DOMAIN)
    dns_server.txt[domains.record_name(DOMAIN)] = [domains.record_value(added)]
    domains.verify_domain(store=store)

    moved = client.get(f"/s/{store.slug}/cart/?from=whatsapp")

    assert moved.status_code == 301 and "no-store" in moved["Cache-Control"]
    location = urlsplit(moved["Location"])
    assert (location.scheme, location.hostname, location.path) == ("https", DOMAIN, "/cart/")
    query = parse_qs(location.query)
    assert query["from"] == ["whatsapp"] and len(query[CART_PARAM]) == 1
    # On the domain the browser has other cookies (the test client would send the platform's anywhere).
    on_the_domain = Client()
    token = query[CART_PARAM][0]
    taken = on_the_domain.get(location.path, {"from": "whatsapp", CART_PARAM: token}, HTTP_HOST=DOMAIN)
    assert taken.status_code == 302 and taken["Location"] == "/cart/?from=whatsapp"
    assert "no-store" in taken["Cache-Control"]
    page = text(on_the_domain.get("/cart/?from=whatsapp", HTTP_HOST=DOMAIN))
    assert "2 × ₹250" in page and "1 × ₹400" in page and "Steel tiffin" in page and "Brass lamp" in page


def test_a_handed_cart_joins_the_domains_cart_and_never_shrinks_it(client, on_domain, simple_product):
    second = make_product(on_domain, name="Brass lamp", price="400.00", stock=5)
    client.post("/cart/add/", {"product": simple_product.pk, "quantity": 3}, HTTP_HOST=DOMAIN)
    handed = {str(on_domain.pk): {f"{simple_product.pk}:0": [1, "250.00", "Steel tiffin"]}}
    handed[str(on_domain.pk)][f"{second.pk}:0"] = [2, "400.00", "Brass lamp"]
    token = signing.dumps({"store": on_domain.pk, "lines": handed[str(on_domain.pk)]}, salt=CART_SALT)

    for _ in range(2):  # the same link twice (a reload) adds nothing more
        assert get(client, "/", **{"QUERY_STRING": f"{CART_PARAM}={token}"}).status_code == 302

    page = text(get(client, "/cart/"))
    assert "3 × ₹250" in page and "2 × ₹400" in page  # the bigger of each line


BAD_TOKENS = {
    "junk": lambda store, product: "not-a-token",
    "another store's": lambda store, product: signing.dumps(
        {"store": store.pk + 1, "lines": {f"{product.pk}:0": [2, "250.00", "x"]}}, salt=CART_SALT
    ),
    "signed for something else": lambda store, product: signing.dumps(
        {"store": store.pk, "lines": {f"{product.pk}:0": [2, "250.00", "x"]}}, salt="another.salt"
    ),
}


@pytest.mark.parametrize("bad", BAD_TOKENS)
def test_a_bad_or_foreign_hand_off_changes_nothing_and_the_page_is_still_shown(
    client, on_domain, simple_product, bad
):
    client.post("/cart/add/", {"product": simple_product.pk, "quantity": 1}, HTTP_HOST=DOMAIN)

    token = BAD_TOKENS[bad](on_domain, simple_product)
    taken = get(client, f"/p/{simple_product.pk}/", QUERY_STRING=f"{CART_PARAM}={token}&page=2")

    assert taken.status_code == 302 and taken["Location"] == f"/p/{simple_product.pk}/?page=2"
    assert get(client, taken["Location"]).status_code == 200
    assert "1 × ₹250" in text(get(client, "/cart/"))


def test_an_expired_hand_off_is_ignored(client, on_domain, simple_product, monkeypatch):
    token = signing.dumps(
        {"store": on_domain.pk, "lines": {f"{simple_product.pk}:0": [1, "250.00", "x"]}}, salt=CART_SALT
    )
    monkeypatch.setattr(time, "time", lambda real=time.time: real() + CART_SECONDS + 1)

    assert get(client, "/", QUERY_STRING=f"{CART_PARAM}={token}").status_code == 302

    assert "Steel tiffin" not in text(get(client, "/cart/"))


def test_a_buyer_without_a_cart_is_redirected_without_a_token(client, on_domain, simple_product):
    client.get(f"/s/{on_domain.slug}/")  # no session at all
    moved = client.get(f"/s/{on_domain.slug}/p/{simple_product.pk}/")

    assert moved.status_code == 301 and moved["Location"] == f"https://{DOMAIN}/p/{simple_product.pk}/"
