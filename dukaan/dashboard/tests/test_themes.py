"""The Theme page: the shopkeeper picks a theme, brand colour, banner and announcement, previews them
unsaved in a frame only they can open, and a colour that is not a colour (or a bad link) is refused
with a message while nothing changes."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dukaan.catalog.models import StoreTheme
from dukaan.conftest import png_upload
from dukaan.events.models import OutboxEvent

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:store_theme")
PREVIEW = reverse("dashboard:store_theme_preview")


def form(**fields) -> dict:
    return {"theme": "classic", "colour": "", "announcement": "", "announcement_link": "", **fields}


def test_saving_a_theme_shows_it_to_buyers_and_emits_one_event(me, client, store, product):
    response = me.post(URL, form(theme="bold", colour="#0B3D91", announcement="  Free   delivery today "))

    assert response.status_code == 302 and response["Location"] == URL
    saved = StoreTheme.objects.get(store=store)
    assert (saved.theme, saved.colour, saved.announcement) == ("bold", "#0b3d91", "Free delivery today")
    assert OutboxEvent.objects.filter(type="store.theme_changed").count() == 1
    page = me.get(URL).content.decode()
    assert "Theme saved" in page and 'value="#0b3d91"' in page


@pytest.mark.parametrize("colour", ["red", "#12345", "#12345g", "rgb(0,0,0)", "#1234567", "javascript:x"])
def test_a_colour_that_is_not_a_colour_is_refused_and_nothing_changes(me, store, colour):
    me.post(URL, form(theme="minimal", colour="#123456", announcement="Kept"))
    events = OutboxEvent.objects.count()

    response = me.post(URL, form(theme="bold", colour=colour, announcement="Changed"))

    assert response.status_code == 400
    assert "is not a colour. Write it as # and six hex digits" in response.content.decode()
    saved = StoreTheme.objects.get(store=store)
    assert (saved.theme, saved.colour, saved.announcement) == ("minimal", "#123456", "Kept")
    assert OutboxEvent.objects.count() == events


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"theme": "neon"}, "Choose one of the themes shown"),
        ({"announcement_link": "javascript:alert(1)"}, "Give a web address starting with https://"),
        ({"announcement": "x" * 121}, "at most 120 characters"),
        ({"announcement": "Sale\u202eelas"}, "(U+202E) from this text"),
    ],
)
def test_other_bad_input_is_refused_with_a_message_and_nothing_is_saved(me, store, fields, message):
    response = me.post(URL, form(**fields))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not StoreTheme.objects.filter(store=store).exists()


def test_a_banner_that_is_not_an_image_is_refused(me, store):
    fake = SimpleUploadedFile("banner.png", b"not a picture", content_type="image/png")
    response = me.post(URL, {**form(), "banner": fake})

    assert response.status_code == 400 and "not an image" in response.content.decode()
    assert not StoreTheme.objects.filter(store=store).exists()


def test_a_banner_is_kept_then_removed(me, store):
    me.post(URL, {**form(), "banner": png_upload("banner.png", (600, 200))})
    banner = StoreTheme.objects.get(store=store).banner
    assert banner and 'alt="Current banner"' in me.get(URL).content.decode()

    me.post(URL, form(remove_banner="on"))
    assert StoreTheme.objects.get(store=store).banner == ""


def test_the_preview_shows_the_unsaved_choice_to_the_merchant_only_and_is_never_cached(me, store, product):
    response = me.get(PREVIEW, {"theme": "kirana", "colour": "#ffd700", "announcement": "Preview <b>bar</b>"})

    page = response.content.decode()
    assert response.status_code == 200
    assert ":root{--brand:#ffd700;--on-brand:#000000}" in page and ".grid a{position:relative" in page
    assert '<p class="announce">Preview &lt;b&gt;bar&lt;/b&gt;</p>' in page and product.name in page
    assert 'name="robots" content="noindex"' in page
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    # Framed by the Theme page, and by no other site.
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert not StoreTheme.objects.filter(store=store).exists()  # nothing saved


def test_the_preview_is_not_visible_to_anyone_else(store, other_store, product):
    anonymous = Client().get(PREVIEW, {"theme": "bold"})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")

    other = Client()
    other.force_login(other_store.owner)
    page = other.get(PREVIEW, {"theme": "bold"}).content.decode()
    assert other_store.name in page and product.name not in page


def test_a_bad_colour_in_the_preview_is_a_400_with_the_message(me):
    response = me.get(PREVIEW, {"theme": "bold", "colour": "blue"})

    assert response.status_code == 400
    assert "“blue” is not a colour" in response.content.decode()


def test_the_store_page_links_the_theme_page(me):
    assert f'href="{URL}"' in me.get(reverse("dashboard:store_settings")).content.decode()
