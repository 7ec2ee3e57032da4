"""The storage STORAGE_URL=s3://… selects: django-storages' S3 storage, linked through MEDIA_URL.

Its failures surface as media.StorageUnavailable, an OSError, which callers already handle for a
failing disk.
"""

from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import urljoin

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage

from dukaan.infra.media import StorageUnavailable


@contextmanager
def _bucket_errors(action: str, name: str):
    try:
        yield
    except (BotoCoreError, ClientError) as error:
        raise StorageUnavailable(f"could not {action} {name!r} in the S3 bucket: {error}") from error


class S3MediaStorage(S3Storage):
    def url(self, name, parameters=None, expire=None, http_method=None) -> str:
        # What FileSystemStorage links: the app's /media/ route (or the CDN in front), never the bucket.
        return urljoin(settings.MEDIA_URL, filepath_to_uri(name))

    def exists(self, name) -> bool:
        with _bucket_errors("look for", name):
            return super().exists(name)

    def _open(self, name, mode="rb"):
        with _bucket_errors("read", name):
            file = super()._open(name, mode)
            if "r" in mode:
                file.open()  # fetch the bytes now: a failure is raised here, not halfway through a response
            return file

    def _save(self, name, content) -> str:
        with _bucket_errors("write", name):
            return super()._save(name, content)

    def delete(self, name) -> None:
        with _bucket_errors("delete", name):
            super().delete(name)
