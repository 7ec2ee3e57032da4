"""Public store pages. No login; only visible products."""

from django.shortcuts import get_object_or_404, render

from dukaan.catalog.models import Product, Store


def store_home(request, slug: str):
    store = get_object_or_404(Store, slug=slug)
    products = (
        Product.objects.filter(store=store, is_active=True)
        .prefetch_related("images")
        .order_by("-created_at")[:60]
    )
    return render(request, "storefront/store_home.html", {"store": store, "products": products})
