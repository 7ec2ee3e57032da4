"""The storage STORAGE_URL=s3://… selects: django-storages' S3 storage, linked through MEDIA_URL.

Its failures surface as media.StorageUnavailable, an OSError, which callers already handle for a
failing disk. botocore retries a failed call once itself (settings.media_storage); a bucket that
still fails or times out S3_BREAKER_FAILURES times in a row opens a circuit breaker, and for
S3_BREAKER_RESET_SECONDS uploads and /media reads fail at once with the same StorageUnavailable
instead of each waiting 2 x S3_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from urllib.parse import urljoin

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage

from dukaan.infra.circuit import CircuitBreaker
from dukaan.infra.media import StorageUnavailable

_breakers: dict[tuple[str | None, str], CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(endpoint: str | None, bucket: str) -> CircuitBreaker:
    """The one breaker of a bucket in this process."""
    with _breakers_lock:
        if (endpoint, bucket) not in _breakers:
            _breakers[(endpoint, bucket)] = CircuitBreaker(
                f"object storage {bucket}",
                failure_threshold=settings.S3_BREAKER_FAILURES,
                reset_seconds=settings.S3_BREAKER_RESET_SECONDS,
            )
        return _breakers[(endpoint, bucket)]


def _bucket_is_down(error: Exception) -> bool:
    # Timeouts and refused connections are BotoCoreErrors; a 4xx (no such key, denied) is an answer.
    if isinstance(error, ClientError):
        return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500) >= 500
    return True


class S3MediaStorage(S3Storage):
    @contextmanager
    def _bucket_errors(self, action: str, name: str):
        breaker = breaker_for(self.endpoint_url, self.bucket_name)
        if not breaker.allow():
            raise StorageUnavailable(
                f"could not {action} {name!r}: the S3 bucket failed several times in a row; "
                f"trying it again within {breaker.reset_seconds:g} s"
            )
        try:
            yield
        except (BotoCoreError, ClientError) as error:
            if _bucket_is_down(error):
                breaker.record_failure(error)
            raise StorageUnavailable(f"could not {action} {name!r} in the S3 bucket: {error}") from error
        breaker.record_success()

    def url(self, name, parameters=None, expire=None, http_method=None) -> str:
        # What FileSystemStorage links: the app's /media/ route (or the CDN in front), never the bucket.
        return urljoin(settings.MEDIA_URL, filepath_to_uri(name))

    def exists(self, name) -> bool:
        with self._bucket_errors("look for", name):
            return super().exists(name)

    def _open(self, name, mode="rb"):
        with self._bucket_errors("read", name):
            file = super()._open(name, mode)
            if "r" in mode:
                file.open()  # fetch the bytes now: a failure is raised here, not halfway through a response
            return file

    def _save(self, name, content) -> str:
        with self._bucket_errors("write", name):
            return super()._save(name, content)

    def delete(self, name) -> None:
        with self._bucket_errors("delete", name):
            super().delete(name)
