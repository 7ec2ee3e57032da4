"""Product and logo photos: check an upload by its content, then store it encoded again with two WebP
thumbnails.

The upload's own bytes are never stored. Its first frame is decoded, turned upright and into sRGB, and
encoded afresh from those pixels alone, so nothing the uploader put beside the pixels (EXIF and GPS,
XMP, comments, text chunks, an ICC profile, bytes after the end, further animation frames) reaches
storage or a buyer.

Each stored file is named after a hash of its own bytes, so what a name points at never changes and
browsers and CDNs may cache it forever.

Nothing here trusts a file's name or its Content-Type header: the bytes decide. Every file goes
through Django's default storage, so local files can be swapped for S3 by configuration alone.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext, gettext_lazy
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

# Pillow's name for an accepted format -> the format and extension of the full-size copy we store.
# MPO is the multi-picture JPEG some phone cameras write. A GIF is kept as its first frame, a still
# picture, which PNG holds without loss and with its transparency.
STORED_AS = {
    "JPEG": ("JPEG", "jpg"),
    "MPO": ("JPEG", "jpg"),
    "PNG": ("PNG", "png"),
    "WEBP": ("WEBP", "webp"),
    "GIF": ("PNG", "png"),
}
# The only decoders Pillow may try on an upload: fewer parsers see untrusted bytes.
OPEN_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
THUMBNAIL_QUALITY = 80
FULL_SIZE_QUALITY = 90  # for the full-size JPEG or WebP: close to what the phone wrote
SRGB = ImageCms.createProfile("sRGB")
# Hex digits of the SHA-256 in a stored name: 80 bits, so two different files never get one name.
NAME_HASH_LENGTH = 20

# Web page code inside an image (in its comments or metadata, or after its end): a polyglot, a file that
# is also a page or a script. Photos never carry it. Only markers of 7 bytes or more, so that a 5 MB
# photo's compressed pixels spell one by chance about once in fifty million photos.
HIDDEN_MARKUP = re.compile(rb"<(script|iframe|object|!doctype)|javascript:|on(load|error)\s*=", re.IGNORECASE)

UNREADABLE = gettext_lazy("That file is not an image we can read. Upload a JPEG, PNG, WebP or GIF photo.")
STORAGE_DOWN = gettext_lazy(
    "We could not store that photo just now because photo storage is not answering, so this change was "
    "not saved. Try again in a minute, or save without the new photo."
)
POLYGLOT = gettext_lazy(
    "That file is an image with web page code (HTML or script) hidden inside it, which photos never have. "
    "Save the photo again (a screenshot of it will do) and upload that."
)
DAMAGED = gettext_lazy(
    "That photo looks damaged or incomplete (perhaps the upload was cut off). "
    "Open it on your phone to check it, then upload it again or choose another photo."
)


@dataclass(frozen=True)
class ImageInfo:
    """What the content of an accepted upload turned out to be (size as stored in the file)."""

    format: str
    width: int
    height: int


@dataclass(frozen=True)
class StoredImage:
    """Storage names of an upload's full-size copy (`original`, encoded again like the thumbnails) and
    thumbnails; width and height are as displayed."""

    original: str
    small: str
    large: str
    width: int
    height: int

    @property
    def paths(self) -> list[str]:
        return [self.original, self.small, self.large]


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.1f}".removesuffix(".0")


def _too_many_pixels(width: int | None = None, height: int | None = None) -> ValidationError:
    limit = _megapixels(settings.IMAGE_MAX_PIXELS)
    if width and height:
        message = gettext(
            "That photo is %(width)s × %(height)s pixels (%(pixels)s megapixels); the limit is %(limit)s "
            "megapixels. Resize it (phones can share a smaller copy) and upload it again."
        ) % {"width": width, "height": height, "pixels": _megapixels(width * height), "limit": limit}
    else:
        message = gettext(
            "That photo has far too many pixels; the limit is %(limit)s megapixels. Resize it (phones can "
            "share a smaller copy) and upload it again."
        ) % {"limit": limit}
    return ValidationError(message, code="image_too_many_pixels")


def _too_large(size: int) -> ValidationError:
    return ValidationError(
        gettext(
            "That photo is %(size)s MB; the largest we accept is %(most)s MB. Resize it or choose a smaller "
            "photo and upload it again."
        )
        % {"size": _megabytes(size), "most": _megabytes(settings.IMAGE_MAX_BYTES)},
        code="image_too_large",
    )


def _read(upload) -> bytes:
    """The upload's bytes, refusing an oversized one before reading it; the upload is left rewound."""
    limit = settings.IMAGE_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _too_large(size)
    upload.seek(0)
    try:
        data = upload.read(limit + 1)  # one byte more than allowed tells a lying size apart
    finally:
        upload.seek(0)
    if len(data) > limit:
        raise _too_large(size if size and size > limit else len(data))
    return data


def _open(data: bytes) -> Image.Image:
    """Identify the image from its header only; no pixels are decoded here."""
    try:
        image = Image.open(io.BytesIO(data), formats=OPEN_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels() from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise ValidationError(UNREADABLE, code="image_unreadable") from error
    if image.format not in STORED_AS:
        raise ValidationError(
            gettext("That is a %(format)s image. Upload a JPEG, PNG, WebP or GIF photo instead.")
            % {"format": image.format},
            code="image_format",
        )
    width, height = image.size
    if width * height > settings.IMAGE_MAX_PIXELS:
        raise _too_many_pixels(width, height)
    return image


def _verify(data: bytes) -> ImageInfo:
    """Check the header, then run the format's own integrity check (which uses the image up)."""
    image = _open(data)
    try:
        image.verify()
    except Exception as error:  # checksum, chunk-order and truncation errors all arrive here
        raise ValidationError(DAMAGED, code="image_corrupt") from error
    finally:
        image.close()
    return ImageInfo("JPEG" if image.format == "MPO" else image.format, image.width, image.height)


def _decode(upload) -> tuple[ImageInfo, Image.Image]:
    """Validate the upload; return what it is and its first frame decoded.

    Only the first frame of an animation is ever decoded (later frames are never read, let alone
    decoded), so the pixel limit bounds the work whatever the number of frames; what is stored is
    that frame, a still picture, as every page shows it.
    """
    data = _read(upload)
    # Pillow only warns about images between its own limit and twice that; a warning must never
    # let a bomb through, whatever this process's warning filters are.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        info = _verify(data)
        image = _open(data)  # verify() leaves an image unusable, so decode a fresh one
        try:
            image.load()  # the first frame only
        except Exception as error:  # any decoder failure on untrusted bytes means a damaged file
            image.close()
            raise ValidationError(DAMAGED, code="image_corrupt") from error
    # An early refusal with a clear message for what is plainly a page; what keeps stored files safe is
    # that they are encoded again from the pixels (store_image).
    if HIDDEN_MARKUP.search(data):
        image.close()
        raise ValidationError(POLYGLOT, code="image_polyglot")
    return info, image


def validate_image(upload) -> ImageInfo:
    """Check an upload is a JPEG, PNG, WebP or GIF within the byte and pixel limits, and undamaged.

    Raises ValidationError with a message the merchant can act on. The upload is left rewound.
    """
    info, image = _decode(upload)
    image.close()
    return info


def _upright(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block should not cost the merchant their photo
        logger.warning("Ignoring unreadable EXIF orientation", exc_info=True)
        return image


def _in_srgb(image: Image.Image, mode: str) -> Image.Image | None:
    """The image converted from its embedded colour profile to sRGB in `mode`, or None without one.

    Browsers take an untagged image as sRGB, so a wide-gamut phone photo (Display P3) looks right
    without its profile, which is bytes the uploader chose and is therefore not kept.
    """
    icc_profile = image.info.get("icc_profile")
    # Only where the conversion keeps every pixel's meaning: not to RGBA from a mode whose transparency
    # is one colour named in `info`, which the conversion would drop.
    if not icc_profile or image.mode not in {"RGB", "RGBA", "CMYK", "L"} or mode not in {image.mode, "RGB"}:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        return ImageCms.profileToProfile(image, profile, SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):  # a broken or mismatched profile
        logger.warning("Ignoring an unusable colour profile", exc_info=True)
        return None


def _pixels(image: Image.Image) -> Image.Image:
    """The decoded picture in sRGB, as RGBA if there is any transparency, else RGB, carrying nothing
    from the upload but its pixels (Pillow's encoders write what is left in `info`: comments, EXIF)."""
    mode = "RGBA" if image.has_transparency_data else "RGB"
    converted = _in_srgb(image, mode)
    if converted is None:
        converted = image
        if converted.mode.startswith("I") or converted.mode == "F":
            # 16-bit greyscale (PNG's only deep mode) would clip to white going straight to RGB.
            converted = converted.convert("F").point(lambda value: value / 256).convert("L")
        if converted.mode != mode:
            converted = converted.convert(mode)
    converted.info = {}  # the caller's own copy: upright, or decoded for this store_image alone
    return converted


def _encoded(image: Image.Image, format: str) -> bytes:
    buffer = io.BytesIO()
    if format == "PNG":
        image.save(buffer, "PNG")
    else:
        image.save(buffer, format, quality=FULL_SIZE_QUALITY)
    return buffer.getvalue()


def _webp(image: Image.Image, longest_side: int) -> bytes:
    thumbnail = image.copy()
    thumbnail.thumbnail((longest_side, longest_side), Image.Resampling.LANCZOS)  # never enlarges
    buffer = io.BytesIO()
    thumbnail.save(buffer, "WEBP", quality=THUMBNAIL_QUALITY)
    return buffer.getvalue()


def content_hash(data: bytes) -> str:
    """The part of a stored file's name that comes from its bytes."""
    return hashlib.sha256(data).hexdigest()[:NAME_HASH_LENGTH]


def store_image(upload, *, folder: str) -> StoredImage:
    """Validate an upload and store its first frame, upright and encoded again from its pixels (JPEG,
    PNG or WebP as uploaded; a GIF as PNG), plus small and large WebP thumbnails. The upload's own
    bytes are not stored.

    Each file is named `<folder>/<hash of its bytes>` (`.jpg`, `-240.webp`, ...). The same bytes
    uploaded again find that name taken, and the storage saves them under a free variant of it
    (`<hash>_<random>.jpg`) instead of sharing the file: no two rows ever share a file, and deleting
    one row's files can never remove another's. That needs a storage that never overwrites, as
    Django's file system storage does not (on S3, set `file_overwrite` off).
    """
    info, image = _decode(upload)
    try:
        source = _pixels(_upright(image))
        stored_format, extension = STORED_AS[info.format]
        full_size = _encoded(source, stored_format)
        sizes = settings.IMAGE_THUMBNAIL_SIZES
        large = _webp(source, sizes["large"])
        small = _webp(source, min(sizes["small"], sizes["large"]))
        width, height = source.size
    finally:
        image.close()

    folder = folder.strip("/")
    files = [
        (f"{folder}/{content_hash(full_size)}.{extension}", full_size),
        (f"{folder}/{content_hash(small)}-{sizes['small']}.webp", small),
        (f"{folder}/{content_hash(large)}-{sizes['large']}.webp", large),
    ]
    written: list[str] = []
    try:
        for name, content in files:
            written.append(default_storage.save(name, ContentFile(content)))
    except OSError as error:  # a full disk, or a bucket that is down (infra.media.StorageUnavailable)
        logger.warning("Could not store %s", name, exc_info=True)
        delete_files(written)
        raise ValidationError(STORAGE_DOWN, code="image_storage_unavailable") from error
    except BaseException:
        delete_files(written)
        raise
    return StoredImage(original=written[0], small=written[1], large=written[2], width=width, height=height)


def store_again(path: str, *, folder: str) -> StoredImage:
    """Store a file already in storage anew, as store_image stores an upload (for photos stored before
    uploads were encoded again, whose files are the uploads' own bytes)."""
    try:
        file = default_storage.open(path)
    except FileNotFoundError as error:
        raise ValidationError(f"The stored photo {path} is missing.", code="image_missing") from error
    with file:
        return store_image(file, folder=folder)


# `dukaan seed` stores one picture per category under this folder and many rows point at it.
SHARED_FOLDER = "seed/"


def delete_files(paths) -> None:
    """Delete stored files, skipping empty names, the seed's shared pictures and files already gone;
    never raises for one file."""
    for path in paths:
        if not path or path.startswith(SHARED_FOLDER):
            continue
        try:
            default_storage.delete(path)
        except FileNotFoundError:
            pass
        except OSError:
            # Called after commit: a leftover file costs disk space, a raised error here costs nothing
            # useful. Log it so someone can clean up.
            logger.warning("Could not delete stored file %s", path, exc_info=True)
