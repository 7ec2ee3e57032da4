"""Image uploads: judged by their bytes, encoded again from their pixels alone, and stored under names
hashed from the stored bytes with upright WebP thumbnails."""

import hashlib
import io
import struct
import warnings
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from PIL import Image, ImageCms, ImageFile

from dukaan.catalog import images


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMAGE_MAX_BYTES = 5 * 1024 * 1024
    settings.IMAGE_MAX_PIXELS = 25_000_000
    settings.IMAGE_THUMBNAIL_SIZES = {"small": 240, "large": 720}
    return settings.MEDIA_ROOT


@pytest.fixture
def decoding(monkeypatch):
    """Record every attempt to decode pixels, to prove a refusal came from the header alone."""
    calls = []
    real_load = ImageFile.ImageFile.load

    def spy(image):
        calls.append(image.size)
        return real_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return calls


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def noisy(size: tuple[int, int]) -> Image.Image:
    """A photo-like image that compresses badly, so truncating its file loses real pixel data."""
    return Image.effect_noise(size, 64).convert("RGB")


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG of one pixel's data whose header claims width x height: a decompression bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def stored_size(path: str) -> tuple[str, tuple[int, int]]:
    with default_storage.open(path) as file, Image.open(file) as image:
        return image.format, image.size


# --- what is accepted ----------------------------------------------------------------------------


def test_a_png_named_txt_is_accepted_as_a_png_and_stored_with_png_extension():
    data = encoded(Image.new("RGB", (40, 30), "orange"), "PNG")
    file = upload(data, name="notes.txt", content_type="text/plain")

    assert images.validate_image(file) == images.ImageInfo(format="PNG", width=40, height=30)
    stored = images.store_image(file, folder="products/7")

    assert stored.original.startswith("products/7/") and stored.original.endswith(".png")
    with default_storage.open(stored.original) as original, Image.open(original) as image:
        assert image.size == (40, 30) and image.getpixel((0, 0)) == (255, 165, 0)


def test_validation_leaves_the_upload_rewound_for_the_next_reader():
    file = upload(encoded(Image.new("RGB", (10, 10)), "PNG"))
    file.read(5)
    images.validate_image(file)
    assert file.tell() == 0


@pytest.mark.parametrize("fmt,stored_format", [("JPEG", "JPEG"), ("WEBP", "WEBP"), ("GIF", "PNG")])
def test_each_accepted_format_is_stored_encoded_again_with_the_extension_of_what_is_stored(
    fmt, stored_format
):
    stored = images.store_image(upload(encoded(Image.new("RGB", (50, 50), "red"), fmt)), folder="p")
    assert stored_size(stored.original) == (stored_format, (50, 50))
    assert stored.original.endswith({"JPEG": ".jpg", "WEBP": ".webp", "PNG": ".png"}[stored_format])


# --- what is refused -----------------------------------------------------------------------------


def test_a_text_file_named_photo_jpg_is_refused():
    file = upload(b"Dear customer, our shop opens at 10.\n" * 20, name="photo.jpg")
    with pytest.raises(ValidationError) as refused:
        images.validate_image(file)
    assert refused.value.messages == [images.UNREADABLE]
    assert refused.value.code == "image_unreadable"


def test_a_format_outside_jpeg_png_webp_gif_is_refused():
    file = upload(encoded(Image.new("RGB", (20, 20)), "BMP"), name="photo.bmp")
    with pytest.raises(ValidationError, match="JPEG, PNG, WebP or GIF"):
        images.validate_image(file)


def test_a_decompression_bomb_is_refused_from_its_header_without_decoding(decoding):
    bomb = png_claiming(30_000, 30_000)
    assert len(bomb) < 100

    with pytest.raises(ValidationError) as refused:
        images.store_image(upload(bomb, name="bomb.png"), folder="p")

    assert refused.value.code == "image_too_many_pixels"
    assert "25 megapixels" in refused.value.messages[0]
    assert decoding == []


def test_an_image_over_our_pixel_limit_names_its_size_and_the_limit(decoding):
    with pytest.raises(ValidationError) as refused:
        images.validate_image(upload(png_claiming(6000, 5000), name="big.png"))
    assert refused.value.messages[0].startswith("That photo is 6000 × 5000 pixels (30 megapixels)")
    assert "the limit is 25 megapixels" in refused.value.messages[0]
    assert decoding == []


def test_pillows_bomb_warning_is_a_refusal_even_when_our_limit_is_higher(settings, decoding):
    # 100 megapixels sits where Pillow only warns; the warning must not let it through.
    # Warnings are shown, not raised, in production; the test config would turn them into errors.
    settings.IMAGE_MAX_PIXELS = 500_000_000
    with warnings.catch_warnings(), pytest.raises(ValidationError) as refused:
        warnings.simplefilter("default")
        images.validate_image(upload(png_claiming(10_000, 10_000), name="big.png"))
    assert refused.value.code == "image_too_many_pixels"
    assert decoding == []


class Unreadable(io.BytesIO):
    def read(self, *args):
        raise AssertionError("an oversized upload must be refused before it is read")


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read(settings):
    settings.IMAGE_MAX_BYTES = 1024 * 1024
    file = UploadedFile(Unreadable(), name="huge.jpg", content_type="image/jpeg", size=3 * 1024 * 1024)
    with pytest.raises(ValidationError) as refused:
        images.validate_image(file)
    assert refused.value.code == "image_too_large"
    assert refused.value.messages[0].startswith("That photo is 3 MB; the largest we accept is 1 MB.")


def test_a_file_whose_declared_size_understates_it_is_still_refused(settings):
    settings.IMAGE_MAX_BYTES = 1000
    file = UploadedFile(io.BytesIO(b"x" * 5000), name="photo.jpg", size=10)
    with pytest.raises(ValidationError) as refused:
        images.validate_image(file)
    assert refused.value.code == "image_too_large"


def test_a_truncated_jpeg_is_refused():
    data = encoded(noisy((400, 300)), "JPEG", quality=90)
    with pytest.raises(ValidationError) as refused:
        images.validate_image(upload(data[: len(data) // 2]))
    assert refused.value.code == "image_corrupt"
    assert "damaged or incomplete" in refused.value.messages[0]


def test_a_png_with_a_broken_checksum_is_refused():
    data = bytearray(encoded(noisy((64, 64)), "PNG"))
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(ValidationError) as refused:
        images.validate_image(upload(bytes(data), name="photo.png"))
    assert refused.value.code == "image_corrupt"


def test_a_refused_upload_writes_no_files(media_root):
    with pytest.raises(ValidationError):
        images.store_image(upload(b"not an image"), folder="p")
    assert not media_root.exists() or not any(media_root.rglob("*.*"))


# --- thumbnails ----------------------------------------------------------------------------------


def test_thumbnails_are_webp_with_the_configured_longest_side():
    stored = images.store_image(upload(encoded(Image.new("RGB", (1600, 800), "green"), "PNG")), folder="p")

    assert stored_size(stored.small) == ("WEBP", (240, 120))
    assert stored_size(stored.large) == ("WEBP", (720, 360))
    assert (stored.width, stored.height) == (1600, 800)
    assert stored.small.endswith("-240.webp") and stored.large.endswith("-720.webp")


def test_a_small_image_is_never_upscaled():
    stored = images.store_image(upload(encoded(Image.new("RGB", (100, 60), "blue"), "JPEG")), folder="p")
    assert stored_size(stored.small) == ("WEBP", (100, 60))
    assert stored_size(stored.large) == ("WEBP", (100, 60))


def test_an_exif_rotated_jpeg_gets_upright_thumbnails():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was held sideways; rotate 90° clockwise to display
    data = encoded(Image.new("RGB", (1000, 500), "purple"), "JPEG", exif=exif.tobytes())

    stored = images.store_image(upload(data), folder="p")

    assert (stored.width, stored.height) == (500, 1000)
    assert stored_size(stored.small) == ("WEBP", (120, 240))
    assert stored_size(stored.large) == ("WEBP", (360, 720))
    # The full-size copy is turned upright too: it keeps no EXIF to say how to turn it.
    assert stored_size(stored.original) == ("JPEG", (500, 1000))


def test_transparency_survives_and_an_animated_gif_uses_its_first_frame():
    frames = [Image.new("P", (80, 40), index) for index in range(3)]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], transparency=0)

    stored = images.store_image(upload(data, name="wave.gif"), folder="p")

    with default_storage.open(stored.small) as file, Image.open(file) as thumbnail:
        assert thumbnail.mode == "RGBA"
        assert thumbnail.size == (80, 40)
        assert thumbnail.getpixel((0, 0))[3] == 0  # frame 0 is colour 0, the transparent one


def pixel(path: str, xy=(0, 0)):
    with default_storage.open(path) as file, Image.open(file) as image:
        return image.getpixel(xy)


def close(colour, expected, tolerance=6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def test_a_png_with_transparency_keeps_it_in_every_stored_file():
    picture = Image.new("RGBA", (60, 40), (0, 0, 0, 0))
    picture.paste((200, 30, 30, 255), (30, 0, 60, 40))

    stored = images.store_image(upload(encoded(picture, "PNG"), name="logo.png"), folder="p")

    assert stored_size(stored.original) == ("PNG", (60, 40))
    assert pixel(stored.original) == (0, 0, 0, 0) and pixel(stored.original, (45, 20)) == (200, 30, 30, 255)
    for path in (stored.small, stored.large):
        assert pixel(path)[3] == 0 and close(pixel(path, (45, 20)), (200, 30, 30, 255))


def test_a_webp_is_stored_as_webp_with_its_colours():
    stored = images.store_image(
        upload(encoded(Image.new("RGB", (300, 200), (20, 120, 200)), "WEBP")), folder="p"
    )
    assert stored_size(stored.original) == ("WEBP", (300, 200))
    assert close(pixel(stored.original, (150, 100)), (20, 120, 200))


def test_a_jpeg_from_a_phone_keeps_its_colours_and_loses_its_colour_profile_and_comment():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encoded(Image.new("RGB", (400, 300), (180, 60, 90)), "JPEG", icc_profile=profile, comment=b"Redmi")

    stored = images.store_image(upload(data), folder="p")

    for path in stored.paths:
        with default_storage.open(path) as file, Image.open(file) as image:
            assert "icc_profile" not in image.info and "comment" not in image.info, path
            assert close(image.convert("RGB").getpixel((100, 100)), (180, 60, 90)), path


def test_an_unusable_colour_profile_does_not_cost_the_merchant_their_photo():
    data = encoded(Image.new("RGB", (40, 40), "navy"), "PNG", icc_profile=b"not a colour profile")

    stored = images.store_image(upload(data, name="photo.png"), folder="p")

    assert pixel(stored.original) == (0, 0, 128)


# --- names and deletion --------------------------------------------------------------------------


def sha256_hex(path: str) -> str:
    with default_storage.open(path) as file:
        return hashlib.sha256(file.read()).hexdigest()


def test_each_stored_file_is_named_after_the_sha256_of_its_own_bytes():
    data = encoded(Image.new("RGB", (900, 600), "teal"), "PNG")

    stored = images.store_image(upload(data, name="IMG_0001.png"), folder="products/3")

    assert stored.original == f"products/3/{sha256_hex(stored.original)[:20]}.png"
    assert stored.small == f"products/3/{sha256_hex(stored.small)[:20]}-240.webp"
    assert stored.large == f"products/3/{sha256_hex(stored.large)[:20]}-720.webp"


def test_the_same_bytes_uploaded_twice_get_different_names_and_deleting_one_keeps_the_other():
    data = encoded(Image.new("RGB", (300, 300), "yellow"), "PNG")

    first = images.store_image(upload(data, name="same.png"), folder="products/1")
    second = images.store_image(upload(data, name="same.png"), folder="products/1")

    assert set(first.paths).isdisjoint(second.paths)
    # The storage made the second names free; they still begin with the hash of their bytes.
    for path in second.paths:
        assert path.startswith(f"products/1/{sha256_hex(path)[:20]}")
    images.delete_files(first.paths)
    assert not any(default_storage.exists(path) for path in first.paths)
    assert all(default_storage.exists(path) for path in second.paths)


def test_delete_files_skips_empty_names_and_files_already_gone():
    stored = images.store_image(upload(encoded(Image.new("RGB", (10, 10)), "PNG")), folder="p")
    images.delete_files(["", stored.original, "p/never-existed.png", stored.original])
    assert not default_storage.exists(stored.original)
    assert default_storage.exists(stored.small)
