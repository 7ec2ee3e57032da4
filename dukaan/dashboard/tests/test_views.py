"""The dashboard as a merchant uses it: onboarding, the share link, products, bulk edits, categories."""

from decimal import Decimal

import pytest
from django.urls import reverse

from dukaan.accounts.models import User
from dukaan.catalog.models import Product, Store
from dukaan.conftest import png_upload

pytestmark = pytest.mark.django_db


def product_post(**overrides) -> dict:
    data = {
        "name": "Cotton kurta",
        "description": "Soft, hand block printed.",
        "price": "499",
        "compare_at_price": "699",
        "sku": "",
        "stock": "12",
        "category": "",
        "is_active": "on",
        "variants-TOTAL_FORMS": "2",
        "variants-INITIAL_FORMS": "0",
        "variants-0-options": "",
        "variants-0-price": "",
        "variants-1-options": "",
        "variants-1-price": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def newcomer(client):
    user = User.objects.create_user("+919812345677")
    client.force_login(user)
    return client


def test_a_merchant_without_a_store_is_sent_to_create_one(newcomer):
    response = newcomer.get(reverse("dashboard:home"))
    assert response["Location"] == reverse("dashboard:store_create")


def test_creating_a_store_shows_the_share_link_qr_and_whatsapp_link(newcomer):
    response = newcomer.post(
        reverse("dashboard:store_create"),
        {
            "name": "Asha's Kitchen",
            "slug": "ashas-kitchen",
            "whatsapp": "98123 45677",
            "currency": "INR",
            "logo": png_upload("logo.png"),
        },
    )
    assert response.status_code == 302
    store = Store.objects.get(slug="ashas-kitchen")
    assert store.whatsapp == "+919812345677"
    assert store.logo
    html = newcomer.get(reverse("dashboard:home")).content.decode()
    assert "http://localhost:8000/s/ashas-kitchen/" in html
    assert "<svg" in html and "QR code" in html
    assert (
        "https://wa.me/?text=Shop%20at%20Asha%27s%20Kitchen%3A%20http%3A//localhost%3A8000/s/ashas-kitchen/"
        in html
    )


def test_a_taken_slug_is_refused_with_a_suggestion_and_nothing_saved(newcomer, store):
    response = newcomer.post(
        reverse("dashboard:store_create"),
        {"name": "Copy", "slug": store.slug, "whatsapp": "+919812345677", "currency": "INR"},
    )
    assert response.status_code == 200
    assert "already taken" in response.content.decode()
    assert "asha-store-shop" in response.content.decode()
    assert Store.objects.count() == 1


def test_a_reserved_slug_and_a_bad_whatsapp_number_are_explained(newcomer):
    response = newcomer.post(
        reverse("dashboard:store_create"),
        {"name": "Shop", "slug": "admin", "whatsapp": "12", "currency": "INR"},
    )
    html = response.content.decode()
    assert "reserved" in html and "valid mobile number" in html
    assert not Store.objects.exists()


def test_a_logo_that_is_not_an_image_is_refused(newcomer):
    response = newcomer.post(
        reverse("dashboard:store_create"),
        {
            "name": "Shop",
            "slug": "good-shop",
            "whatsapp": "+919812345677",
            "currency": "INR",
            "logo": _text_named_as_image(),
        },
    )
    assert response.status_code == 200
    assert "not an image" in response.content.decode()
    assert not Store.objects.exists()


def _text_named_as_image():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("logo.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")


def test_adding_a_product_with_images_and_two_variants(me, store):
    response = me.post(
        reverse("dashboard:product_create"),
        product_post(
            **{
                "new_images": [png_upload("a.png"), png_upload("b.png", colour="red")],
                "variants-0-options": "Size: M",
                "variants-0-price": "499",
                "variants-0-stock": "4",
                "variants-1-options": "Size: L",
                "variants-1-price": "529",
            }
        ),
    )
    assert response.status_code == 302
    product = Product.objects.get(store=store)
    assert product.images.count() == 2
    assert [(v.label, v.price, v.stock) for v in product.variants.all()] == [
        ("M", Decimal("499.00"), 4),
        ("L", Decimal("529.00"), None),
    ]
    html = me.get(reverse("dashboard:products")).content.decode()
    assert "Cotton kurta" in html and "2 variants" in html and "₹499" in html


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"price": "0"}, "more than zero"),
        ({"price": "100000000"}, "at most"),
        ({"price": "abc"}, "digits, at most two after the point"),
        ({"name": "   "}, "This field is required"),
        ({"name": "x" * 500}, "at most 120 characters"),
        ({"compare_at_price": "100"}, "compare-at"),
        ({"stock": "-1"}, "negative"),
        ({"variants-0-options": "Size: M", "variants-0-price": "0"}, "more than zero"),
        ({"new_images": [_text_named_as_image()]}, "not an image"),
    ],
)
def test_bad_product_input_gets_a_clear_error_and_nothing_is_saved(me, overrides, message):
    response = me.post(reverse("dashboard:product_create"), product_post(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"price": "0"}, "दाम शून्य से ज़्यादा रखें।"),
        ({"price": "abc"}, "पॉइंट के बाद ज़्यादा से ज़्यादा दो"),
        ({"compare_at_price": "100"}, "पुराना दाम अभी के दाम से ज़्यादा रखें, या खाली छोड़ें।"),
        ({"stock": "-1"}, "स्टॉक शून्य से कम नहीं हो सकता।"),
        ({"variants-0-options": "Size: M, Size: L", "variants-0-price": "10"}, "विकल्प “Size” दो बार लिखा है।"),
        ({"new_images": [_text_named_as_image()]}, "यह फ़ाइल ऐसी फ़ोटो नहीं है जिसे हम पढ़ सकें।"),
    ],
)
def test_a_merchant_who_chose_hindi_is_told_in_hindi_why_a_product_is_refused(me, store, overrides, message):
    type(store.owner).objects.filter(pk=store.owner.pk).update(language="hi")
    response = me.post(reverse("dashboard:product_create"), product_post(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Product.objects.exists()


def test_editing_keeps_what_was_saved_when_the_edit_is_refused(me, product):
    url = reverse("dashboard:product_edit", args=[product.pk])
    response = me.post(url, product_post(name="New name", price="0"))
    assert response.status_code == 200
    product.refresh_from_db()
    assert product.name == "Cotton kurta" and product.price == Decimal("499")
    assert product.variants.count() == 2


def test_hiding_and_deleting_a_product(me, product):
    me.post(reverse("dashboard:product_visibility", args=[product.pk]), {"show": "0"})
    product.refresh_from_db()
    assert not product.is_active
    assert "Hidden" in me.get(reverse("dashboard:products")).content.decode()
    assert "Cotton kurta" in me.get(reverse("dashboard:products"), {"show": "hidden"}).content.decode()
    me.post(reverse("dashboard:product_delete", args=[product.pk]))
    assert not Product.objects.filter(pk=product.pk).exists()


def test_product_search_and_filters(me, store, product):
    from dukaan.catalog import services

    services.create_product(store=store, name="Kolhapuri chappal", price=Decimal("350"), stock=0)
    listing = lambda **q: me.get(reverse("dashboard:products"), q).content.decode()  # noqa: E731
    assert "Kolhapuri" in listing(q="chappal") and "Cotton kurta" not in listing(q="chappal")
    assert "Kolhapuri" in listing(show="out_of_stock") and "Cotton kurta" not in listing(show="out_of_stock")
    assert "Cotton kurta" in listing(category=product.category_id)
    assert "Kolhapuri" not in listing(category=product.category_id)


def test_out_of_stock_means_what_the_shop_says_variants_and_all(me, store):
    from dukaan.catalog import services
    from dukaan.catalog.services import VariantInput

    def with_variants(name: str, *stocks: int | None):
        variants = [
            VariantInput(options={"Size": str(size)}, price=Decimal("499"), stock=stock)
            for size, stock in enumerate(stocks)
        ]
        return services.create_product(
            store=store, name=name, price=Decimal("499"), stock=0, variants=variants
        )

    with_variants("Sold out kurta", 0, 0)
    with_variants("Last sizes kurta", 0, 2)
    with_variants("Made to order kurta", 0, None)
    services.create_product(store=store, name="Sold out chappal", price=Decimal("350"), stock=0)
    services.create_product(store=store, name="Plenty chappal", price=Decimal("350"), stock=9)

    sold_out = me.get(reverse("dashboard:products"), {"show": "out_of_stock"}).content.decode()
    assert "Sold out kurta" in sold_out and "Sold out chappal" in sold_out
    assert not any(name in sold_out for name in ("Last sizes", "Made to order", "Plenty"))
    everything = me.get(reverse("dashboard:products")).content.decode()
    assert everything.count("Out of stock</span>") == 2
    assert "2 out of stock" in me.get(reverse("dashboard:home")).content.decode()
    # The storefront's snapshot says the same of each (the one rule, catalog/rules.py).
    from dukaan.catalog.snapshot import build_store_catalog

    assert {p.name for p in build_store_catalog(store.pk).products if not p.in_stock} == {
        "Sold out kurta",
        "Sold out chappal",
    }


def test_bulk_edit_saves_all_rows_or_none(me, store, product):
    from dukaan.catalog import services

    other = services.create_product(store=store, name="Bhujia", price=Decimal("60"), stock=5)
    url = reverse("dashboard:bulk_edit")
    bad = {
        "product": [product.pk, other.pk],
        f"price_{product.pk}": "450",
        f"stock_{product.pk}": "",
        f"price_{other.pk}": "0",
        f"stock_{other.pk}": "5",
    }
    response = me.post(url, bad)
    assert (
        response.status_code == 200 and "Bhujia: Price must be more than zero." in response.content.decode()
    )
    product.refresh_from_db()
    assert product.price == Decimal("499")
    good = dict(bad, **{f"price_{other.pk}": "65"})
    assert me.post(url, good).status_code == 302
    product.refresh_from_db()
    other.refresh_from_db()
    assert (product.price, product.stock, other.price) == (Decimal("450"), None, Decimal("65"))


def test_categories_add_rename_delete(me, store, product):
    url = reverse("dashboard:categories")
    me.post(url, {"name": "Sarees"})
    assert "You already have a category" in me.post(url, {"name": "Sarees"}).content.decode()
    sarees = store.categories.get(name="Sarees")
    me.post(reverse("dashboard:category_rename", args=[sarees.pk]), {"name": "Silk sarees"})
    assert store.categories.filter(name="Silk sarees").exists()
    kurtas = product.category
    me.post(reverse("dashboard:category_delete", args=[kurtas.pk]))
    product.refresh_from_db()
    assert product.category is None


def test_store_settings_change_the_link_and_refuse_a_taken_one(me, store, other_store):
    url = reverse("dashboard:store_settings")
    fields = {"name": "Asha Kitchen", "whatsapp": store.whatsapp, "currency": "USD"}
    response = me.post(url, dict(fields, slug=other_store.slug))
    assert "already taken" in response.content.decode()
    store.refresh_from_db()
    assert store.slug == "asha-store" and store.currency == "INR"
    assert me.post(url, dict(fields, slug="asha-kitchen")).status_code == 302
    store.refresh_from_db()
    assert (store.slug, store.currency, store.name) == ("asha-kitchen", "USD", "Asha Kitchen")
    assert "/s/asha-kitchen/" in me.get(reverse("dashboard:home")).content.decode()
