"""A store with a category, a product and an order, reached the way buyers and merchants reach them."""

import secrets
from decimal import Decimal

from django.urls import reverse

from dukaan.catalog import services
from dukaan.conftest import change_store, make_store, png_upload
from dukaan.orders.models import Order


def open_shop(*, name: str = "Asha's Kurtas", product_name: str = "Block print kurta", description: str = ""):
    """(store, category, product): the product has a photo and stock, the store a UPI ID and a logo."""
    store = make_store("+919812345601", "asha-store")
    store = change_store(
        store,
        name=name,
        upi_id="asha@okaxis",
        logo=png_upload("logo.png"),
    )
    category = services.create_category(store=store, name="Kurtas")
    product = services.create_product(
        store=store,
        name=product_name,
        description=description,
        price=Decimal("549"),
        stock=50,
        category=category,
        new_images=[png_upload()],
    )
    return store, category, product


def buyer_details(**changes: str) -> dict:
    return {
        "name": "Meera Iyer",
        "phone": "98123 45699",
        "address": "12, 3rd Cross, Indiranagar, Bengaluru",
        "pin_code": "560038",
        "payment_method": "upi",
        "idempotency_key": secrets.token_hex(16),
        **changes,
    }


def order_through_checkout(client, store, product, **buyer: str) -> Order:
    """The buyer adds the product to their cart and checks out; the order they placed."""
    client.post(reverse("storefront:cart_add", args=[store.slug]), {"product": product.pk, "quantity": 1})
    response = client.post(reverse("storefront:checkout", args=[store.slug]), buyer_details(**buyer))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Order.objects.filter(store=store).latest("pk")


def buyer_pages(store, category, product, order) -> dict[str, str]:
    slug = store.slug
    return {
        "store home": reverse("storefront:store_home", args=[slug]),
        "category": reverse("storefront:category", args=[slug, category.pk]),
        "product": reverse("storefront:product", args=[slug, product.pk]),
        "search": reverse("storefront:search", args=[slug]) + "?q=kurta",
        "cart": reverse("storefront:cart", args=[slug]),
        "checkout": reverse("storefront:checkout", args=[slug]),
        "order": reverse("storefront:order", args=[slug, order.public_token]),
    }


def merchant_pages(store, category, product, order) -> dict[str, str]:
    return {
        "dashboard home": reverse("dashboard:home"),
        "store settings": reverse("dashboard:store_settings"),
        "theme": reverse("dashboard:store_theme"),
        "theme preview": reverse("dashboard:store_theme_preview"),
        "synonyms": reverse("dashboard:search_synonyms"),
        "domain": reverse("dashboard:store_domain"),
        "products": reverse("dashboard:products"),
        "new product": reverse("dashboard:product_create"),
        "bulk edit": reverse("dashboard:bulk_edit") + f"?product={product.pk}",
        "product edit": reverse("dashboard:product_edit", args=[product.pk]),
        "product delete": reverse("dashboard:product_delete", args=[product.pk]),
        "orders": reverse("dashboard:orders"),
        "order detail": reverse("dashboard:order_detail", args=[order.number]),
        "API tokens": reverse("dashboard:api_tokens"),
        "categories": reverse("dashboard:categories"),
        "staff": reverse("dashboard:staff"),
        "stores": reverse("dashboard:stores"),
    }
