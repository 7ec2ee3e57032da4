"""The dashboard installs as an app on a phone: Lighthouse's installability checks on its manifest, a
service worker whose scope is the dashboard, and an offline page that holds nobody's data.

The tests without a database mark fail on any query: what a phone keeps offline cannot need one.
"""

import html
import json
import posixpath
import re
from urllib.parse import urljoin, urlparse

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from PIL import Image

from dukaan.catalog.models import Store
from dukaan.dashboard import pwa

MANIFEST_URL = "/dashboard/manifest.webmanifest"
WORKER_URL = "/dashboard/sw.js"
OFFLINE_URL = "/dashboard/offline/"
INSTALLABLE_DISPLAYS = {"fullscreen", "standalone", "minimal-ui"}


def fetched_manifest() -> dict:
    response = Client().get(MANIFEST_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    return json.loads(response.content)


def test_the_manifest_speaks_the_phones_language():
    response = Client(headers={"accept-language": "hi"}).get(MANIFEST_URL)
    manifest = json.loads(response.content)
    assert manifest["lang"] == "hi"
    assert manifest["description"] == "आपकी दुकान के ऑर्डर, प्रोडक्ट और पेमेंट।"
    assert "Accept-Language" in response["Vary"]


def absolute(url: str) -> str:
    """A URL as the browser resolves it from the manifest's own address."""
    return urljoin("http://testserver" + MANIFEST_URL, url)


def static_file(url: str) -> str:
    """The file a static URL names (tests run without collectstatic, so WhiteNoise would not serve it)."""
    path = finders.find(urlparse(url).path.removeprefix(settings.STATIC_URL))
    assert path, f"{url} names no static file"
    return path


def png(url: str) -> Image.Image:
    image = Image.open(static_file(url))
    assert image.format == "PNG", f"{url} is a {image.format}, not a PNG"
    return image


def found(pattern: str, text: str) -> re.Match[str]:
    match = re.search(pattern, text)
    assert match, f"nothing matches {pattern}"
    return match


def head_link(page: str, rel: str) -> str:
    return html.unescape(found(rf'<link rel="{rel}" href="([^"]+)">', page)[1])


def test_the_manifest_passes_lighthouses_installability_checks():
    manifest = fetched_manifest()

    assert manifest["name"] == "Dukaan" and manifest["short_name"]
    assert manifest["lang"] == "en-in"
    assert manifest["display"] in INSTALLABLE_DISPLAYS
    start_url, scope = absolute(manifest["start_url"]), absolute(manifest["scope"])
    assert urlparse(scope).path == "/dashboard/"
    assert start_url.startswith(scope), "start_url must lie within the scope"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])


def test_every_icon_is_a_png_of_the_size_the_manifest_gives_and_a_maskable_one_fills_its_square():
    icons = fetched_manifest()["icons"]

    sizes = set()
    for icon in icons:
        assert icon["type"] == "image/png"
        width, height = map(int, icon["sizes"].split("x"))
        assert png(absolute(icon["src"])).size == (width, height), icon["src"]
        sizes.add(width)
    assert {192, 512} <= sizes
    maskable = [icon for icon in icons if "maskable" in icon["purpose"].split()]
    assert maskable, "no maskable icon: Android would shrink the icon into a white circle"
    corner = png(absolute(maskable[0]["src"])).convert("RGBA").getpixel((0, 0))
    assert corner[3] == 255, "a maskable icon must be opaque to its edges, or the mask shows holes"


def test_the_service_worker_is_javascript_served_from_the_dashboard_and_keeps_the_offline_page():
    response = Client().get(WORKER_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript"
    assert "no-cache" in response["Cache-Control"]
    # A worker's widest scope is its own folder: /dashboard/ with no Service-Worker-Allowed header.
    assert posixpath.dirname(WORKER_URL) + "/" == urlparse(absolute(fetched_manifest()["scope"])).path
    assert not response.has_header("Service-Worker-Allowed")
    script = response.content.decode()
    assert f'"{OFFLINE_URL}"' in script
    assert re.search(r'const CACHE = PREFIX \+ "[0-9a-f]{12}"', script)


def test_the_service_workers_cache_gets_a_new_name_when_the_offline_page_changes(monkeypatch):
    cache_name = r'const CACHE = PREFIX \+ "(\w+)"'
    before = found(cache_name, Client().get(WORKER_URL).content.decode())[1]

    monkeypatch.setattr(pwa, "offline_page", lambda: "<h1>Offline, reworded</h1>")
    after = found(cache_name, Client().get(WORKER_URL).content.decode())[1]

    assert before != after


def test_the_offline_page_renders_without_the_database_and_leads_back_to_the_dashboard():
    response = Client().get(OFFLINE_URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "You are offline" in page
    assert 'href="/dashboard/">try again</a>' in page
    assert "csrfmiddlewaretoken" not in page


@pytest.mark.django_db
def test_a_merchant_is_sent_the_same_offline_page_as_anyone_with_no_query_and_nothing_of_theirs(
    client, store: Store, django_assert_num_queries
):
    client.force_login(store.owner)
    anyone = Client().get(OFFLINE_URL).content

    with django_assert_num_queries(0):
        response = client.get(OFFLINE_URL)

    assert response.content == anyone
    assert store.name not in response.content.decode()
    assert "Log out" not in response.content.decode()


@pytest.mark.django_db
def test_dashboard_pages_link_the_manifest_theme_colour_home_screen_icon_and_register_the_worker(
    client, store: Store
):
    client.force_login(store.owner)

    page = client.get("/dashboard/").content.decode()

    assert head_link(page, "manifest") == MANIFEST_URL
    theme = found(r'<meta name="theme-color" content="([^"]+)">', page)[1]
    assert theme == fetched_manifest()["theme_color"]
    assert png(head_link(page, "apple-touch-icon")).size == (180, 180)
    register = found(r'<script src="([^"]+)" defer data-worker="([^"]+)" data-scope="([^"]+)">', page)
    assert register.group(2, 3) == (WORKER_URL, "/dashboard/")
    with open(static_file(register[1])) as script:
        assert "navigator.serviceWorker.register" in script.read()
