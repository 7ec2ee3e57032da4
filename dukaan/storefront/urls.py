"""Public store pages, at the share link /s/<slug>/."""

from django.urls import URLPattern, path

from . import cod, feeds, invoices, seo, views

# Every page here is under a store's slug: one given up within its reservation redirects to the new one.
moved = views.follows_moved_store

app_name = "storefront"


def store_pages(at: str) -> list[URLPattern]:
    """A store's pages, `at` naming the store in the path: "<slug:slug>/" under /s/, or on the store's
    own domain "<here:slug>", which is empty (domain_urls.py)."""
    return [
        path(at, moved(views.store_home), name="store_home"),
        path(f"{at}c/<id:category_id>/", moved(views.category), name="category"),
        path(f"{at}p/<id:product_id>/", moved(views.product), name="product"),
        path(f"{at}sitemap.xml", moved(seo.store_sitemap), name="sitemap"),
        path(f"{at}robots.txt", moved(seo.store_robots), name="robots"),
        # Both /search?q= and /search/?q= answer directly: a redirect costs a round trip on a slow network.
        path(f"{at}search", moved(views.search), name="search"),
        path(f"{at}search/", moved(views.search)),
        path(f"{at}feeds/google.xml", moved(feeds.google), name="feed_google"),
        path(f"{at}feeds/meta.csv", moved(feeds.meta), name="feed_meta"),
        path(f"{at}policies/<slug:kind>/", moved(views.policy), name="policy"),
        path(f"{at}language/", moved(views.choose_language), name="language"),
        path(f"{at}cart/", moved(views.cart_page), name="cart"),
        path(f"{at}cart/add/", moved(views.cart_add), name="cart_add"),
        path(f"{at}cart/update/", moved(views.cart_update), name="cart_update"),
        path(f"{at}cart/remove/", moved(views.cart_remove), name="cart_remove"),
        path(f"{at}cart/pin/", moved(views.cart_pin), name="cart_pin"),
        path(f"{at}cart/coupon/", moved(views.cart_coupon), name="cart_coupon"),
        path(f"{at}cart/draft/", moved(views.cart_draft), name="cart_draft"),
        path(f"{at}cart/r/<slug:token>/", moved(views.cart_restore), name="cart_restore"),
        path(f"{at}checkout/", moved(views.checkout), name="checkout"),
        path(f"{at}o/<slug:token>/", moved(views.order), name="order"),
        path(f"{at}o/<slug:token>/invoice.pdf", moved(invoices.order_invoice), name="order_invoice"),
        path(f"{at}o/<slug:token>/confirm/", moved(cod.confirm), name="order_confirm"),
        path(f"{at}o/<slug:token>/credit-notes/<id:pk>.pdf", moved(invoices.credit_note), name="credit_note"),
    ]


urlpatterns = store_pages("<slug:slug>/")
