"""Product photos in a real S3 bucket (s3proxy, deploy/local/s3.py): STORAGE_URL=s3://… as merchants and
buyers meet it, with the bucket up, stopped and frozen, and the STORAGE_URL values settings refuse."""

import html
import re

import boto3
import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from dukaan.catalog.models import Product
from dukaan.config.settings import media_storage
from dukaan.conftest import png_upload
from dukaan.dashboard.tests.test_views import product_post
from tests.processes import start_s3

IMMUTABLE = "public, max-age=31536000, immutable"
STORAGE_DOWN = "photo storage is not answering"


def use_bucket(settings, server, *, timeout_seconds: float = 5) -> None:
    """The default storage exactly as STORAGE_URL=server.url with its credentials makes it."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": media_storage(
            server.url,
            access_key_id=server.access_key_id,
            secret_access_key=server.secret_access_key,
            timeout_seconds=timeout_seconds,
        ),
    }
    caches[settings.CATALOG_CACHE_ALIAS].clear()  # snapshots hold photo URLs


def bucket_objects(server) -> dict[str, bytes]:
    bucket = boto3.resource(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        region_name="us-east-1",
    ).Bucket(server.bucket)
    return {item.key: item.get()["Body"].read() for item in bucket.objects.all()}


def image_urls(page: str) -> list[str]:
    """Every URL in the page's <img src> and srcset attributes."""
    srcs = re.findall(r'<img [^>]*src="([^"]+)"', page)
    srcsets = re.findall(r'srcset="([^"]+)"', page)
    return [html.unescape(url) for url in srcs] + [
        html.unescape(candidate.split()[0]) for srcset in srcsets for candidate in srcset.split(", ")
    ]


def add_product(client, **overrides):
    return client.post(
        reverse("dashboard:product_create"), product_post(new_images=[png_upload("kurta.png")], **overrides)
    )


@pytest.fixture
def own_s3(tmp_path):
    """An S3 server of this test's own, in a folder that keeps its objects when it is restarted."""
    servers = [start_s3(tmp_path / "s3")]
    yield servers
    servers[-1].stop()


# --- the bucket up ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_dashboard_photo_lands_in_the_bucket_and_buyers_load_it_through_the_app(
    settings, s3_server, me, store
):
    use_bucket(settings, s3_server)

    response = add_product(me, name="Block print kurta")

    assert response.status_code == 302
    image = Product.objects.get(store=store, name="Block print kurta").images.get()
    objects = bucket_objects(s3_server)
    # The original and both WebP thumbnails, under content-hashed names.
    assert {image.original, image.small, image.large} <= objects.keys()
    assert re.fullmatch(rf"products/{store.pk}/[0-9a-f]{{20}}\.png", image.original)
    assert re.fullmatch(rf"products/{store.pk}/[0-9a-f]{{20}}-240\.webp", image.small)
    assert objects[image.original] == png_upload("kurta.png").read()

    page = me.get(f"/s/{store.slug}/p/{image.product_id}/").content.decode()
    urls = image_urls(page)
    assert urls and all(url.startswith("/media/products/") for url in urls), urls
    for url in urls:
        photo = me.get(url)
        assert photo.status_code == 200
        assert photo["Cache-Control"] == IMMUTABLE
        assert photo.getvalue() == objects[url.removeprefix("/media/")]


@pytest.mark.django_db
def test_a_photo_missing_from_the_bucket_is_a_404(settings, s3_server, client):
    use_bucket(settings, s3_server)
    assert client.get("/media/products/1/0123456789abcdef0123-240.webp").status_code == 404


# --- the bucket down -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_with_the_bucket_stopped_uploads_are_refused_and_nothing_saved_is_lost(settings, own_s3, me, store):
    use_bucket(settings, own_s3[0])
    assert add_product(me, name="Kurta", price="499").status_code == 302
    product = Product.objects.get(store=store)
    photo_url = product.images.get().small_url

    own_s3[0].stop()

    edit = me.post(
        reverse("dashboard:product_edit", args=[product.pk]),
        product_post(name="Kurta", price="450", new_images=[png_upload("new.png", colour="red")]),
    )
    assert edit.status_code == 200
    assert STORAGE_DOWN in edit.content.decode()
    product.refresh_from_db()
    assert product.price == 499 and product.images.count() == 1
    created = add_product(me, name="Another kurta")
    assert STORAGE_DOWN in created.content.decode()
    assert list(Product.objects.values_list("name", flat=True)) == ["Kurta"]
    unavailable = me.get(photo_url)
    assert unavailable.status_code == 503
    assert "Try again" in unavailable.content.decode()

    own_s3.append(start_s3(own_s3[0].dir))  # the same folder: a new port, the same objects
    use_bucket(settings, own_s3[-1])

    assert me.get(photo_url).status_code == 200
    again = me.post(
        reverse("dashboard:product_edit", args=[product.pk]),
        product_post(name="Kurta", price="450", new_images=[png_upload("new.png", colour="red")]),
    )
    assert again.status_code == 302
    product.refresh_from_db()
    assert product.price == 450 and product.images.count() == 2


@pytest.mark.django_db
def test_a_frozen_bucket_refuses_the_upload_after_its_timeout(settings, s3_server, me, store):
    use_bucket(settings, s3_server, timeout_seconds=1)
    s3_server.pause()
    try:
        response = add_product(me, name="Frozen kurta")
    finally:
        s3_server.resume()

    assert response.status_code == 200
    assert STORAGE_DOWN in response.content.decode()
    assert not Product.objects.filter(store=store).exists()
    assert add_product(me, name="Frozen kurta").status_code == 302


# --- STORAGE_URL ---------------------------------------------------------------------------------


def test_file_and_s3_urls_make_their_storages():
    assert media_storage("file:///var/media")["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    on_aws = media_storage("s3://dukaan-media", access_key_id="AKIA", secret_access_key="secret")
    assert on_aws["BACKEND"] == "dukaan.infra.s3.S3MediaStorage"
    assert on_aws["OPTIONS"]["bucket_name"] == "dukaan-media"
    assert on_aws["OPTIONS"]["endpoint_url"] is None
    assert (on_aws["OPTIONS"]["access_key"], on_aws["OPTIONS"]["secret_key"]) == ("AKIA", "secret")
    own = media_storage("s3://photos.v2?endpoint=http://127.0.0.1:9000&region=ap-south-1")
    assert own["OPTIONS"]["endpoint_url"] == "http://127.0.0.1:9000"
    assert own["OPTIONS"]["region_name"] == "ap-south-1"
    assert own["OPTIONS"]["access_key"] is None  # boto3's own lookup then


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://dukaan-media", "STORAGE_URL must be file:///path/to/folder or s3://dukaan-media"),
        ("/var/media", "STORAGE_URL must be file:///path/to/folder or s3://dukaan-media"),
        ("s3://", "does not name one S3 bucket"),
        ("s3:///photos", "does not name one S3 bucket"),
        ("s3://Dukaan_Media", "does not name one S3 bucket"),
        ("s3://dukaan-media/products", "no path after it"),
        ("s3://key:secret@dukaan-media", "credentials go in S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY"),
        ("s3://dukaan-media?endpoint=127.0.0.1:9000", "endpoint must be an http(s) address"),
        ("s3://dukaan-media?endpoint=http://minio:9000/bucket", "endpoint must be an http(s) address"),
        ("s3://dukaan-media?endpont=http://127.0.0.1:9000", "only endpoint= and region= are understood"),
    ],
)
def test_a_malformed_storage_url_says_what_a_good_one_looks_like(url, message):
    with pytest.raises(ImproperlyConfigured) as refused:
        media_storage(url)
    assert message in str(refused.value)
    assert "127.0.0.1:9000" in str(refused.value)  # every refusal shows a good value
