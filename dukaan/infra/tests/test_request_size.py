"""Bodies over what the proxy takes are answered 413 with a message, even sent straight to the app."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

pytestmark = pytest.mark.django_db

OVER_THE_PROXY = 13 * 1024 * 1024  # nginx's client_max_body_size is 12m


@pytest.fixture
def cart_add(store):
    return f"/s/{store.slug}/cart/add/"


def test_a_photo_larger_than_the_proxy_takes_is_refused_unread(cart_add, product):
    upload = SimpleUploadedFile("big.bin", b"x" * OVER_THE_PROXY)

    response = Client().post(cart_add, {"product": product.pk, "quantity": 1, "junk": upload})

    assert response.status_code == 413
    assert "the most this site accepts is 12 MB" in response.content.decode()


def test_a_buyer_reading_hindi_is_refused_in_hindi(cart_add, product):
    upload = SimpleUploadedFile("big.bin", b"x" * OVER_THE_PROXY)
    client = Client(HTTP_ACCEPT_LANGUAGE="hi")

    response = client.post(cart_add, {"product": product.pk, "quantity": 1, "junk": upload})

    assert response.status_code == 413
    assert "यह साइट ज़्यादा से ज़्यादा 12 MB लेती है" in response.content.decode()


def test_a_form_of_more_text_than_the_proxy_takes_is_a_413_saying_so(cart_add, product):
    body = f"product={product.pk}&quantity=1&note=" + "x" * OVER_THE_PROXY

    response = Client().post(cart_add, body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 413
    assert "MB" in response.content.decode()


def test_a_form_with_too_many_fields_is_a_413_saying_so(cart_add, product):
    body = "&".join(f"field{number}=1" for number in range(1500))

    response = Client().post(cart_add, body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 413
    assert "more than the 1000 fields" in response.content.decode()


def test_the_dashboard_form_too_large_for_django_gets_the_413_page_too(client, store, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # a body within MAX_REQUEST_BYTES, over Django's own limit
    client.force_login(store.owner)

    response = client.post("/dashboard/categories/", {"name": "x" * 2000})

    assert response.status_code == 413
    assert "Shorten it" in response.content.decode()
