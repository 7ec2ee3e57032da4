"""Hostile photo uploads, through the dashboard form and the API: each is refused with a message the
merchant can act on, and nothing is saved (the product keeps the photos it had, no file is written)."""

import io
import os
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageFile

from dukaan.accounts.services import create_api_token
from dukaan.catalog.images import HIDDEN_MARKUP
from tests.security.shop import open_shop

pytestmark = pytest.mark.django_db

SCRIPT = b"<script>alert(document.cookie)</script>"


def image_bytes(format: str, size=(64, 48), **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format=format, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def decompression_bomb() -> bytes:
    """A PNG of 50,000 × 50,000 pixels (2.5 gigapixels) in a few hundred bytes."""
    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 50_001 * 8))
        + png_chunk(b"IEND", b"")
    )


def noise_png(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "PNG")  # incompressible
    return buffer.getvalue()


def post_photo(store, product, file_name: str, content: bytes, content_type: str = "image/png"):
    """POST the file to the product's images through the API, with a new token of the store."""
    _row, token = create_api_token(store=store, name="POS")
    return Client().post(
        f"/api/v1/products/{product.pk}/images",
        {"images": SimpleUploadedFile(file_name, content, content_type=content_type)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


HOSTILE = {
    "GIF with a script after its end": (
        "photo.gif",
        image_bytes("GIF") + SCRIPT,
        "web page code (HTML or script) hidden inside it",
    ),
    "JPEG with a page in its comment": (
        "photo.jpg",
        image_bytes("JPEG", comment=b"<!DOCTYPE html><html><body>" + SCRIPT),
        "web page code (HTML or script) hidden inside it",
    ),
    "PNG with an onerror handler in a text chunk": (
        "photo.png",
        image_bytes("PNG")[:-12]
        + png_chunk(b"tEXt", b"Comment\x00<img src=x onerror=alert(1)>")
        + image_bytes("PNG")[-12:],
        "web page code (HTML or script) hidden inside it",
    ),
    "SVG with a script": (
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "not an image we can read",
    ),
    "HTML named .jpg": (
        "photo.jpg",
        b"<html><body>" + SCRIPT + b"</body></html>",
        "not an image we can read",
    ),
    "decompression bomb": ("bomb.png", decompression_bomb(), "too many pixels"),
    "truncated JPEG": ("cut.jpg", image_bytes("JPEG", size=(400, 300))[:900], "damaged or incomplete"),
    "larger than the limit": ("big.png", noise_png(200), "the largest we accept is 0.1 MB"),
}


@pytest.fixture(autouse=True)
def small_byte_limit(settings):
    settings.IMAGE_MAX_BYTES = 100 * 1024  # so "too large" needs no 5 MB file; the others are far below


@pytest.fixture
def shop(settings):
    store, _category, product = open_shop()
    before = {
        "images": list(product.images.values_list("pk", "original", "small", "large")),
        "files": sorted(path.name for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()),
    }
    return store, product, before


def assert_nothing_saved(settings, product, before):
    assert list(product.images.values_list("pk", "original", "small", "large")) == before["images"]
    assert sorted(path.name for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()) == before["files"]


def test_the_hostile_files_are_what_they_claim():
    assert len(HOSTILE["larger than the limit"][1]) > 100 * 1024
    assert len(HOSTILE["decompression bomb"][1]) < 2_000
    for name in ("GIF with a script after its end", "JPEG with a page in its comment"):
        Image.open(io.BytesIO(HOSTILE[name][1])).verify()  # a real image, as well as a page


@pytest.mark.parametrize("case", HOSTILE)
def test_the_dashboard_refuses_the_file_and_keeps_the_product_as_it_was(settings, shop, case):
    store, product, before = shop
    file_name, content, message = HOSTILE[case]
    merchant = Client()
    merchant.force_login(store.owner)
    form = {
        "name": "Renamed kurta",
        "price": "549",
        "stock": "50",
        "is_active": "on",
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
        "new_images": SimpleUploadedFile(file_name, content, content_type="image/jpeg"),
    }

    response = merchant.post(reverse("dashboard:product_edit", args=[product.pk]), form)

    assert response.status_code == 200
    assert message in response.content.decode()
    product.refresh_from_db()
    assert product.name == "Block print kurta"
    assert_nothing_saved(settings, product, before)


@pytest.mark.parametrize("case", HOSTILE)
def test_the_api_refuses_the_file_with_a_problem_naming_it(settings, shop, case):
    store, product, before = shop
    file_name, content, message = HOSTILE[case]

    response = post_photo(store, product, file_name, content)

    assert response.status_code == 422, response.content
    problem = response.json()
    assert problem["errors"][0]["field"] == "images[0]"
    assert file_name in problem["errors"][0]["message"] and message in problem["errors"][0]["message"]
    assert_nothing_saved(settings, product, before)


def test_a_plain_photo_is_still_accepted(settings, shop):
    store, product, _before = shop

    response = post_photo(store, product, "more.jpg", image_bytes("JPEG"), content_type="image/jpeg")

    assert response.status_code == 201
    assert product.images.count() == 2


# --- what is stored is only the photo's pixels, encoded again ---------------------------------------
#
# The block-list above is an early refusal with a clear message; it cannot know every payload. What
# keeps a stored file safe is that it is made from the decoded pixels alone: no chunk, comment or
# metadata block of the upload survives, so neither do payloads the block-list misses.

# SVG that runs script without any marker the block-list knows.
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg"><animate onbegin="alert(document.domain)" attributeName="x"/>'
    b'<a href="jav&#x61;script&#x3a;alert(1)"><text y="20">Open</text></a></svg>'
)


def upload_through_the_api(store, product, file_name: str, content: bytes):
    response = post_photo(store, product, file_name, content)
    assert response.status_code == 201, response.content
    image = product.images.order_by("-position").first()
    return image, response.json()


def stored_bytes(settings, image) -> dict[str, bytes]:
    return {
        path: (settings.MEDIA_ROOT / path).read_bytes() for path in (image.original, image.small, image.large)
    }


def test_an_svg_hidden_in_a_png_text_chunk_is_not_in_any_stored_file(settings, shop):
    store, product, _before = shop
    plain = image_bytes("PNG")
    content = plain[:-12] + png_chunk(b"tEXt", b"Comment\x00" + SVG) + plain[-12:]
    assert b"<svg" in content and not HIDDEN_MARKUP.search(content)  # the block-list lets it through

    image, _product = upload_through_the_api(store, product, "photo.png", content)

    for path, data in stored_bytes(settings, image).items():
        assert b"<svg" not in data and b"alert(" not in data and b"tEXt" not in data, path
    with Image.open(settings.MEDIA_ROOT / image.original) as stored:
        assert stored.format == "PNG" and stored.getpixel((0, 0)) == (0, 128, 128)  # still the teal photo


def test_a_phone_photo_is_stored_upright_without_its_exif_and_location(settings, shop):
    store, product, _before = shop
    exif = Image.Exif()
    exif[0x010F] = "Xiaomi"  # Make
    exif[0x0112] = 6  # Orientation: held sideways
    exif.get_ifd(0x8825).update({1: "N", 2: (12.0, 58.0, 13.0), 3: "E", 4: (77.0, 35.0, 40.0)})  # GPS
    content = image_bytes("JPEG", size=(80, 40), exif=exif.tobytes())
    assert b"Exif" in content and b"Xiaomi" in content

    image, _product = upload_through_the_api(store, product, "IMG_2041.jpg", content)

    for path, data in stored_bytes(settings, image).items():
        assert b"Exif" not in data and b"Xiaomi" not in data, path
        with Image.open(settings.MEDIA_ROOT / path) as stored:
            assert not stored.getexif() and not stored.getexif().get_ifd(0x8825), path
            assert stored.size[0] < stored.size[1], f"{path} is not upright"
    assert (image.width, image.height) == (40, 80)


def gif_bomb(frames: int, side: int) -> bytes:
    """An animated GIF whose every frame is side × side pixels, in a few kilobytes: the first frame
    paints one pixel, every later frame covers the whole picture with almost no data."""

    def frame(width: int, height: int, codes: bytes) -> bytes:
        return b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02" + codes + b"\x00"

    one_pixel = b"\x02\x44\x01"  # LZW, 2-bit codes: clear, colour 1, end
    nothing = b"\x01\x2c"  # clear, end
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", side, side, 0x80, 0, 0)  # a global palette of two colours
        + b"\x00\x00\x00\xff\xff\xff"
        + b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop forever
        + frame(1, 1, one_pixel)
        + frame(side, side, nothing) * (frames - 1)
        + b"\x3b"
    )


@pytest.fixture
def decoded_frames(monkeypatch):
    """The frame number of every decode Pillow does, to prove no upload is decoded beyond its first."""
    frames = []
    real_load = ImageFile.ImageFile.load

    def load(image):
        frames.append(image.tell())
        return real_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return frames


def test_an_animated_gif_bomb_is_stored_as_its_first_frame_without_decoding_the_others(
    settings, shop, decoded_frames
):
    store, product, _before = shop
    content = gif_bomb(frames=300, side=4000)  # 4.8 gigapixels in all
    assert len(content) < 25_000
    with Image.open(io.BytesIO(content)) as gif:
        assert gif.size == (4000, 4000) and gif.is_animated

    image, _product = upload_through_the_api(store, product, "sale.gif", content)

    assert set(decoded_frames) == {0}
    with Image.open(settings.MEDIA_ROOT / image.original) as stored:
        assert stored.format == "PNG" and stored.size == (4000, 4000)
        assert not getattr(stored, "is_animated", False)


def test_photos_stored_before_are_encoded_again_by_reencode_photos(
    settings, shop, django_capture_on_commit_callbacks
):
    store, product, _before = shop
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (12.0, 58.0, 13.0)})  # where the merchant lives
    kept = settings.MEDIA_ROOT / f"products/{store.pk}/as-uploaded.jpg"  # as photos were kept until now
    kept.write_bytes(image_bytes("JPEG", exif=exif.tobytes(), comment=b"<svg onbegin=alert(1)>"))
    image = product.images.get()
    image.original = f"products/{store.pk}/as-uploaded.jpg"
    image.save()
    old_logo = store.logo

    with django_capture_on_commit_callbacks(execute=True):
        call_command("reencode_photos", stdout=io.StringIO())

    image.refresh_from_db()
    store.refresh_from_db()
    assert not kept.exists() and not (settings.MEDIA_ROOT / old_logo).exists()
    for path, data in stored_bytes(settings, image).items():
        assert b"Exif" not in data and b"<svg" not in data, path
    assert (settings.MEDIA_ROOT / store.logo).exists()
    page = Client().get(f"/s/{store.slug}/p/{product.pk}/").content.decode()
    assert image.large in page
