"""Browser protections on every answer: CSP, Permissions-Policy, nosniff, Referrer-Policy, COOP, framing,
and the cookies' flags; the storefront service replays them from memory too."""

import re

import pytest
from django.core.cache import caches
from django.test import Client

from dukaan.catalog import services
from dukaan.conftest import asgi_get, png_upload
from dukaan.infra.security import PERMISSIONS_POLICY, content_security_policy, source_hash

pytestmark = pytest.mark.django_db

BROWSER_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
}


@pytest.fixture(autouse=True)
def cold_catalog_cache(settings):
    caches[settings.CATALOG_CACHE_ALIAS].clear()


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def assert_protected(response, *, framing_by_csp_only: bool = False) -> None:
    for name, value in BROWSER_HEADERS.items():
        if not (framing_by_csp_only and name == "X-Frame-Options"):
            assert response.get(name) == value, (name, response.get(name))
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.fixture
def photo_product(store):
    return services.create_product(store=store, name="Kurta", price=499, new_images=[png_upload()])


def test_pages_json_media_probes_and_errors_all_carry_the_headers(client, store, photo_product):
    image = photo_product.images.get()
    answers = {
        "store page": client.get(f"/s/{store.slug}/"),
        "login page": client.get("/login/"),
        "public JSON API": client.get(f"/api/v1/stores/{store.slug}"),
        "API error": client.get("/api/v1/no-such-thing"),
        "photo": client.get(f"/media/{image.small}"),
        "health probe": client.get("/healthz"),
        "not found": client.get("/no-such-page/"),
    }
    for what, response in answers.items():
        assert response.status_code in (200, 404), what
        assert_protected(response)


def test_static_files_from_whitenoise_carry_the_headers(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    (tmp_path / "robots.txt").write_text("User-agent: *\n")
    response = Client().get("/static/robots.txt")  # WhiteNoise lists STATIC_ROOT when a client starts

    assert response.status_code == 200
    # WhiteNoise answers before Django's clickjacking middleware; CSP's frame-ancestors does its job.
    assert_protected(response, framing_by_csp_only=True)


def test_the_policy_allows_only_our_own_scripts_styles_and_images(client, store):
    policy = directives(client.get(f"/s/{store.slug}/"))

    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert "unsafe-inline" not in policy["style-src"] and "unsafe-eval" not in policy["script-src"]


def test_the_storefronts_inline_stylesheet_is_allowed_by_its_hash_and_nothing_else_inline(client, store):
    response = client.get(f"/s/{store.slug}/")
    inline = re.findall(r"<style>(.*?)</style>", response.content.decode(), re.S)

    assert len(inline) == 1
    assert directives(response)["style-src"] == f"'self' {source_hash(inline[0])}"


def test_a_cdn_adds_its_origin_not_its_path():
    policy = content_security_policy(cdn_url="https://cdn.example.com/shop", inline_styles=[])

    assert "default-src 'self' https://cdn.example.com;" in policy
    assert "img-src 'self' https://cdn.example.com data:;" in policy
    assert "/shop" not in policy


def test_photos_are_images_that_cannot_run_as_pages(client, photo_product):
    image = photo_product.images.get()
    response = client.get(f"/media/{image.original}")

    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'; sandbox"


def test_a_stored_file_that_is_not_an_image_is_offered_as_a_download(client, settings):
    (settings.MEDIA_ROOT / "stray").mkdir(parents=True)
    (settings.MEDIA_ROOT / "stray" / "page.html").write_text("<script>alert(1)</script>")
    response = client.get("/media/stray/page.html")

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_session_and_csrf_cookies_are_http_only_and_same_site_lax(client, store, photo_product):
    csrf = client.get("/login/").cookies["csrftoken"]  # a page with a form sets it
    session = client.post(f"/s/{store.slug}/cart/add/", {"product": photo_product.pk, "quantity": 1}).cookies[
        "sessionid"
    ]  # the first item in a cart starts a session

    for cookie in (csrf, session):
        assert cookie["httponly"] is True, cookie.key
        assert cookie["samesite"] == "Lax", cookie.key
        assert not cookie["secure"], "only deployed runs (https) mark them Secure"


def test_the_storefront_service_replays_the_headers_from_memory(transactional_db, store):
    from dukaan.storefront.service import StorefrontApp

    app = StorefrontApp()
    app.pages.forget_all(subscribed=True)  # as when the invalidation feed is up

    rendered = asgi_get(app, f"/s/{store.slug}/")[1]
    from_memory = asgi_get(app, f"/s/{store.slug}/")[1]

    assert app.counters.page_hits == 1
    for headers in (rendered, from_memory):
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert headers["permissions-policy"] == PERMISSIONS_POLICY
        assert headers["x-content-type-options"] == "nosniff"
