"""A token's store, categories, products with variants, photos and stock, through the API."""

from decimal import Decimal

import pytest

from dukaan.catalog.models import Category, Product, ProductVariant
from dukaan.conftest import png_upload
from dukaan.events.models import OutboxEvent

from .conftest import ApiClient, problem, simple_product

pytestmark = pytest.mark.django_db


def test_me_names_the_token_and_its_store(api, store):
    response = api.get("/me")
    assert response.status_code == 200
    body = response.json()
    assert body["store"]["slug"] == store.slug
    assert body["token"]["name"] == "POS"
    assert body["token"]["prefix"].startswith("dk_")
    assert "token_hash" not in str(body)


def test_store_settings_change_only_what_is_sent(api, store):
    response = api.patch("/store", {"name": "Asha's Kurtas", "whatsapp": "98123 45699"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Asha's Kurtas"
    assert body["whatsapp"] == "+919812345699"
    assert body["slug"] == store.slug
    store.refresh_from_db()
    assert store.name == "Asha's Kurtas"
    assert OutboxEvent.objects.filter(type="store.updated").count() == 1


def test_a_taken_slug_is_a_field_error_with_a_suggestion(api, other_store):
    body = problem(api.patch("/store", {"slug": other_store.slug}), 422)
    assert body["errors"][0]["field"] == "slug"
    assert body["suggestion"]


def test_a_bad_whatsapp_number_is_a_field_error(api):
    body = problem(api.patch("/store", {"whatsapp": "12"}), 422)
    assert body["errors"] == [
        {"field": "whatsapp", "location": "body", "message": body["errors"][0]["message"]}
    ]


def test_categories_crud(api, store):
    created = api.post("/categories", {"name": "Kurtas"})
    assert created.status_code == 201, created.content
    category_id = created.json()["id"]
    assert created.json() == {"id": category_id, "name": "Kurtas", "position": 0, "product_count": 0}
    assert api.get(f"/categories/{category_id}").json()["name"] == "Kurtas"
    renamed = api.patch(f"/categories/{category_id}", {"name": "Cotton kurtas"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Cotton kurtas"
    assert api.get("/categories").json()["items"][0]["name"] == "Cotton kurtas"
    assert api.delete(f"/categories/{category_id}").status_code == 204
    assert not Category.objects.filter(pk=category_id).exists()
    problem(api.get(f"/categories/{category_id}"), 404)


def test_a_duplicate_category_name_is_refused(api, store):
    api.post("/categories", {"name": "Kurtas"})
    problem(api.post("/categories", {"name": "Kurtas"}), 422)


def test_create_a_product_with_variants(api, store):
    category = api.post("/categories", {"name": "Kurtas"}).json()
    response = api.post(
        "/products",
        {
            "name": "Cotton kurta",
            "price": "499.00",
            "compare_at_price": 699,
            "category_id": category["id"],
            "variants": [
                {"options": {"Size": "M"}, "price": "499", "stock": 5, "sku": "K-M"},
                {"options": {"Size": "L"}, "price": 529.5, "stock": 3},
            ],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["price"] == "499.00"
    assert body["compare_at_price"] == "699.00"
    assert body["category_id"] == category["id"]
    assert [(v["label"], v["price"], v["stock"]) for v in body["variants"]] == [
        ("M", "499.00", 5),
        ("L", "529.50", 3),
    ]
    assert body["url"].endswith(f"/s/{store.slug}/p/{body['id']}/")
    product = Product.objects.get(pk=body["id"], store=store)
    assert product.variants.count() == 2


def test_money_from_a_json_number_is_not_rounded_through_a_float(api):
    body = api.post("/products", {"name": "Exact", "price": 0.29}).json()
    assert body["price"] == "0.29"
    assert Product.objects.get(pk=body["id"]).price == Decimal("0.29")


def test_money_with_three_decimals_is_a_field_error(api):
    body = problem(api.post("/products", {"name": "Odd", "price": "1.999"}), 422)
    assert body["errors"][0]["field"] == "price"


def test_domain_rules_answer_with_their_own_messages(api):
    body = problem(api.post("/products", {"name": "Free", "price": "0"}), 422)
    assert body["errors"] == [
        {"field": "price", "location": "body", "message": "Price must be more than zero."}
    ]
    body = problem(api.post("/products", {"name": "Odd", "price": "10", "compare_at_price": "5"}), 422)
    assert body["errors"][0]["field"] == "compare_at_price"


def test_unknown_members_and_wrong_types_are_field_errors(api):
    body = problem(api.post("/products", {"name": "X", "price": "10", "colour": "red", "stock": "5"}), 422)
    fields = {error["field"] for error in body["errors"]}
    assert fields == {"colour", "stock"}


def test_update_a_product_changes_only_what_is_sent(api, store):
    product = simple_product(store, stock=4)
    response = api.patch(f"/products/{product.pk}", {"price": "150", "stock": None})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["price"] == "150.00"
    assert body["stock"] is None
    assert body["name"] == "Steel tumbler"
    assert body["version"] == 2


def test_update_replaces_variants_and_keeps_those_named_by_id(api, product):
    keep = product.variants.get(options={"Size": "M"})
    response = api.patch(
        f"/products/{product.pk}",
        {
            "variants": [
                {"id": keep.pk, "options": {"Size": "M"}, "price": "450"},
                {"options": {"Size": "XL"}, "price": 560},
            ]
        },
    )
    assert response.status_code == 200, response.content
    assert [(v["id"] == keep.pk, v["label"]) for v in response.json()["variants"]] == [
        (True, "M"),
        (False, "XL"),
    ]
    assert ProductVariant.objects.filter(product=product).count() == 2


def test_list_products_filters_and_hides_nothing_from_the_merchant(api, store):
    visible = simple_product(store, name="Visible")
    hidden = simple_product(store, name="Hidden", is_active=False)
    all_ids = [item["id"] for item in api.get("/products").json()["items"]]
    assert all_ids == [hidden.pk, visible.pk]
    assert [i["id"] for i in api.get("/products", {"visibility": "hidden"}).json()["items"]] == [hidden.pk]
    assert [i["id"] for i in api.get("/products", {"q": "visi"}).json()["items"]] == [visible.pk]


def test_delete_a_product(api, store):
    product = simple_product(store)
    assert api.delete(f"/products/{product.pk}").status_code == 204
    assert not Product.objects.filter(pk=product.pk).exists()


def test_upload_photos(api, store):
    product = simple_product(store)
    response = api.upload(f"/products/{product.pk}/images", [png_upload("a.png"), png_upload("b.png")])
    assert response.status_code == 201, response.content
    images = response.json()["images"]
    assert len(images) == 2
    assert images[0]["small_url"].startswith("http")
    assert (images[0]["width"], images[0]["height"]) == (64, 48)
    removed = api.delete(f"/products/{product.pk}/images/{images[0]['id']}")
    assert removed.status_code == 204
    assert product.images.count() == 1


def test_a_file_that_is_not_an_image_is_refused_with_its_name(api, store):
    from django.core.files.uploadedfile import SimpleUploadedFile

    product = simple_product(store)
    fake = SimpleUploadedFile("notes.png", b"not an image", content_type="image/png")
    body = problem(api.upload(f"/products/{product.pk}/images", [png_upload(), fake]), 422)
    assert body["errors"][0]["field"] == "images[1]"
    assert body["errors"][0]["message"].startswith("notes.png: ")
    assert product.images.count() == 0


def test_photos_must_be_multipart(api, store):
    product = simple_product(store)
    problem(api.post(f"/products/{product.pk}/images", {"images": "x"}), 415)


def test_set_and_move_stock(api, store):
    product = simple_product(store, stock=10)
    response = api.post(f"/products/{product.pk}/stock", {"stock": 7})
    assert response.json() == {"product_id": product.pk, "variant_id": None, "stock": 7}
    assert api.post(f"/products/{product.pk}/stock", {"delta": -2}).json()["stock"] == 5
    assert api.post(f"/products/{product.pk}/stock", {"stock": None}).json()["stock"] is None
    product.refresh_from_db()
    assert product.stock is None
    assert OutboxEvent.objects.filter(type="stock.changed").count() == 3


def test_stock_of_a_variant(api, product):
    variant = product.variants.get(options={"Size": "L"})
    response = api.post(f"/products/{product.pk}/stock", {"delta": 3, "variant_id": variant.pk})
    assert response.json() == {"product_id": product.pk, "variant_id": variant.pk, "stock": 8}


def test_stock_refusals_are_the_services_words(api, store):
    product = simple_product(store, stock=1)
    body = problem(api.post(f"/products/{product.pk}/stock", {"delta": -5}), 422)
    assert body["detail"] == "Only 1 in stock, so it cannot go down by 5."
    problem(api.post(f"/products/{product.pk}/stock", {"delta": 1, "stock": 3}), 422)
    problem(api.post(f"/products/{product.pk}/stock", {}), 422)


def test_a_token_of_one_store_cannot_be_used_for_another(token, other_store):
    client = ApiClient(token)
    assert client.get("/me").json()["store"]["slug"] != other_store.slug


def test_each_photo_size_is_a_whole_address_of_its_stored_file(api, store):
    from django.core.files.storage import default_storage

    product = simple_product(store)
    api.upload(f"/products/{product.pk}/images", [png_upload("a.png")])
    (image,) = product.images.all()
    (shown,) = api.get(f"/products/{product.pk}").json()["images"]
    for member, name in (
        ("original_url", image.original),
        ("small_url", image.small),
        ("large_url", image.large),
    ):
        assert shown[member].startswith("http")
        assert shown[member].endswith(default_storage.url(name))
