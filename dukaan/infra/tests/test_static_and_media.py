"""Static files and uploaded photos: content-hashed names, cached for a year, optionally from a CDN."""

import html
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings

from dukaan.catalog import services
from dukaan.conftest import png_upload

IMMUTABLE = "public, max-age=31536000, immutable"
HASHED_STATIC = {
    **django_settings.STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
CDN = "https://cdn.example.com"


@pytest.fixture(autouse=True)
def cold_catalog_cache(settings):
    """Pages render from a cached snapshot holding image URLs; start every test without one."""
    caches[settings.CATALOG_CACHE_ALIAS].clear()


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory):
    """What `collectstatic` writes for production (DEBUG off), collected once for this module."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, STORAGES=HASHED_STATIC):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def production_static(settings, collected_static) -> Client:
    """A client whose WhiteNoise serves the collected files as in production.

    WhiteNoise lists the files once, when the middleware is built: a new Client builds its own
    middleware on its first request, after these settings are in force.
    """
    settings.DEBUG = False
    settings.STATIC_ROOT = collected_static
    settings.STORAGES = HASHED_STATIC
    return Client()


def stylesheet_href(page: str) -> str:
    return html.unescape(re.search(r'<link rel="stylesheet" href="([^"]+)">', page)[1])


def og_image(page: str) -> str:
    return html.unescape(re.search(r'<meta property="og:image" content="([^"]*)">', page)[1])


def image_urls(page: str) -> list[str]:
    """Every URL in the page's <img src> and srcset attributes."""
    srcs = re.findall(r'<img [^>]*src="([^"]+)"', page)
    srcsets = re.findall(r'srcset="([^"]+)"', page)
    return [html.unescape(url) for url in srcs] + [
        html.unescape(candidate.split()[0]) for srcset in srcsets for candidate in srcset.split(", ")
    ]


# --- uploaded photos ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_uploaded_photo_is_served_with_one_year_immutable_caching(client, product):
    image = product.images.get()

    response = client.get(image.large_url)

    assert response.status_code == 200
    assert response["Cache-Control"] == IMMUTABLE
    assert response["Content-Type"] == "image/webp"


@pytest.mark.django_db
def test_a_photo_that_is_not_there_is_a_404(client, product):
    missing = product.images.get().large_url.replace(".webp", "-gone.webp")
    assert client.get(missing).status_code == 404


@pytest.mark.django_db
def test_deleting_a_product_keeps_another_products_photo_of_the_same_bytes(
    client, store, django_capture_on_commit_callbacks
):
    first = services.create_product(store=store, name="Kurta", price="499", new_images=[png_upload()])
    second = services.create_product(store=store, name="Kurta again", price="499", new_images=[png_upload()])
    first_image, second_image = first.images.get(), second.images.get()
    assert first_image.original != second_image.original

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_product(product=first)

    assert client.get(first_image.small_url).status_code == 404
    for url in (second_image.small_url, second_image.large_url):
        assert client.get(url).status_code == 200


# --- static files ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_debug_pages_link_a_hashed_stylesheet_cached_for_a_year(production_static):
    page = production_static.get("/").content.decode()
    href = stylesheet_href(page)
    assert re.fullmatch(r"/static/dukaan/dukaan\.[0-9a-f]{12}\.css", href), href

    response = production_static.get(href)

    assert response.status_code == 200
    assert response["Cache-Control"] == IMMUTABLE
    assert response["Content-Type"].startswith("text/css")


def test_a_static_file_under_its_unhashed_name_is_not_claimed_immutable(production_static):
    response = production_static.get("/static/dukaan/dukaan.css")

    assert response.status_code == 200
    assert "immutable" not in response["Cache-Control"]
    assert "31536000" not in response["Cache-Control"]


# --- CDN_URL --------------------------------------------------------------------------------------


@pytest.fixture
def behind_a_cdn(settings):
    # What CDN_URL=https://cdn.example.com sets (the settings logic is tested in a fresh process below).
    settings.SITE_URL = "https://dukaan.example"
    settings.STATIC_URL = f"{CDN}/static/"
    settings.MEDIA_URL = f"{CDN}/media/"


@pytest.mark.django_db
def test_with_a_cdn_the_product_page_takes_its_photos_from_it(client, behind_a_cdn, store, product):
    page = client.get(f"/s/{store.slug}/p/{product.pk}/").content.decode()

    urls = image_urls(page)
    assert len(urls) == 3, urls  # the photo, and its two sizes in srcset
    assert all(url.startswith(f"{CDN}/media/products/") for url in urls), urls
    # Link previews get the CDN's absolute URL as it is, not SITE_URL in front of it.
    assert og_image(page) == product.images.get().large_url
    assert og_image(page).startswith(f"{CDN}/media/products/")


@pytest.mark.django_db
def test_with_a_cdn_the_dashboard_takes_its_stylesheet_and_thumbnails_from_it(
    client, behind_a_cdn, store, product
):
    client.force_login(store.owner)

    page = client.get("/dashboard/products/").content.decode()

    assert stylesheet_href(page) == f"{CDN}/static/dukaan/dukaan.css"
    assert image_urls(page) == [product.images.get().small_url]
    assert image_urls(page)[0].startswith(f"{CDN}/media/products/")


def settings_in_a_fresh_process(tmp_path, cdn_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CDN_URL": cdn_url, "DUKAAN_VAR_DIR": str(tmp_path)}
    code = "from dukaan.config import settings; print(settings.STATIC_URL, settings.MEDIA_URL)"
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "cdn_url,urls",
    [
        ("", "/static/ /media/"),
        ("https://cdn.example.com", "https://cdn.example.com/static/ https://cdn.example.com/media/"),
        ("https://cdn.example.com/", "https://cdn.example.com/static/ https://cdn.example.com/media/"),
        (
            "http://cdn.example.com/shop",
            "http://cdn.example.com/shop/static/ http://cdn.example.com/shop/media/",
        ),
    ],
)
def test_cdn_url_puts_static_and_media_urls_under_it(tmp_path, cdn_url, urls):
    run = settings_in_a_fresh_process(tmp_path, cdn_url)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == urls


@pytest.mark.parametrize(
    "cdn_url", ["cdn.example.com", "ftp://cdn.example.com", "https://", "https://cdn?x=1"]
)
def test_a_cdn_url_that_is_not_an_http_address_is_refused(tmp_path, cdn_url):
    run = settings_in_a_fresh_process(tmp_path, cdn_url)
    assert run.returncode != 0
    assert "CDN_URL must be an http(s) address such as https://cdn.example.com" in run.stderr


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/media/%00",
        "/media/products/a%00b.webp",
        "/media/products/%0a.webp",
        "/media/" + "a" * 5000 + ".webp",
        "/media/" + "a/" * 3000 + "x.webp",
    ],
)
def test_a_media_path_no_upload_can_have_is_a_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
