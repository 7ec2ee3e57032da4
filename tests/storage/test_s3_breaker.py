"""The bucket's circuit breaker against a real s3proxy: a bucket that stops answering is skipped fast."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from dukaan.infra.media import StorageUnavailable
from dukaan.infra.s3 import breaker_for
from tests.processes import start_s3
from tests.storage.test_s3 import use_bucket


@pytest.fixture
def bucket(settings):
    settings.S3_BREAKER_FAILURES = 2
    settings.S3_BREAKER_RESET_SECONDS = 30
    server = start_s3()
    use_bucket(settings, server, timeout_seconds=1)
    yield server
    server.thaw_and_stop()


@pytest.mark.django_db
def test_a_frozen_bucket_opens_the_breaker_so_later_uploads_and_photos_fail_at_once(bucket, client):
    name = default_storage.save("products/1/kept.txt", ContentFile(b"photo bytes"))
    assert client.get(f"/media/{name}").status_code == 200

    bucket.pause()
    for attempt in range(2):  # each waits on the timeout (botocore tries twice)
        with pytest.raises(StorageUnavailable):
            default_storage.save(f"products/1/new-{attempt}.txt", ContentFile(b"x"))
    assert breaker_for(bucket.endpoint, bucket.bucket).state == "open"

    # The breaker answers (its own message), not the frozen bucket's timeout.
    with pytest.raises(StorageUnavailable, match="failed several times in a row"):
        default_storage.save("products/1/later.txt", ContentFile(b"x"))
    photo = client.get(f"/media/{name}")

    assert photo.status_code == 503
    assert photo["Retry-After"]
    assert "Try again" in photo.content.decode()
