"""The /media/ route: uploads served from whichever storage STORAGE_URL chose, a folder or an S3 bucket.

Photos are linked as MEDIA_URL + name with either storage, and this route streams them with the
one-year immutable Cache-Control, so a CDN_URL in front works the same for both and the bucket itself
stays private. No boto3 here: processes on the file storage never pay for importing it.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
# What catalog/images.py stores, by the extension it gives each file; the bytes behind each name were
# checked to be that image. Any other name is offered as a download, never shown as a page.
IMAGE_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}
# A stored file opened on its own as a page may run nothing, load nothing, and stays in a sandbox.
MEDIA_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"


# Stored names are short (folder/hash.ext, catalog/images.py) and printable. A longer name or one with a
# NUL or other control character names no upload, and the filesystem would refuse it with an error of
# its own ("embedded null byte", "File name too long") instead of "not found".
MAX_PATH_LENGTH = 255
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


class StorageUnavailable(OSError):
    """The bucket did not answer, or refused the request (down, unreachable, wrong credentials)."""


def media(request, path: str):
    """One stored file, for buyers' browsers and for a CDN pulling from this app."""
    if not path or path.endswith("/") or len(path) > MAX_PATH_LENGTH or CONTROL_CHARACTER.search(path):
        raise Http404("No such photo.")
    try:
        file = default_storage.open(path)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
        raise Http404("No such photo.") from error
    except StorageUnavailable:
        logger.warning("Could not serve %s", path, exc_info=True)
        response = HttpResponse(
            "Photos cannot be fetched right now: the photo storage is not answering. Try again shortly.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    content_type = IMAGE_TYPES.get(path.rsplit(".", 1)[-1].lower())
    response = FileResponse(
        file, content_type=content_type or "application/octet-stream", as_attachment=content_type is None
    )
    response["Content-Security-Policy"] = MEDIA_CONTENT_SECURITY_POLICY
    # Upload names are hashes of their bytes and never reused for others (catalog/images.py).
    response["Cache-Control"] = settings.IMMUTABLE_CACHE_CONTROL
    return response
