"""Public store pages, at the share link /s/<slug>/."""

from django.urls import path, re_path

from . import cod, feeds, invoices, seo, views

# Every page here is under a store's slug: one given up within its reservation redirects to the new one.
moved = views.follows_moved_store

app_name = "storefront"
urlpatterns = [
    path("<slug:slug>/", moved(views.store_home), name="store_home"),
    path("<slug:slug>/c/<id:category_id>/", moved(views.category), name="category"),
    path("<slug:slug>/p/<id:product_id>/", moved(views.product), name="product"),
    path("<slug:slug>/sitemap.xml", moved(seo.store_sitemap), name="sitemap"),
    path("<slug:slug>/robots.txt", moved(seo.store_robots), name="robots"),
    # Both /search?q= and /search/?q= answer directly: a redirect costs a round trip on a slow network.
    re_path(r"^(?P<slug>[-a-zA-Z0-9_]+)/search/?$", moved(views.search), name="search"),
    path("<slug:slug>/feeds/google.xml", moved(feeds.google), name="feed_google"),
    path("<slug:slug>/feeds/meta.csv", moved(feeds.meta), name="feed_meta"),
    path("<slug:slug>/policies/<slug:kind>/", moved(views.policy), name="policy"),
    path("<slug:slug>/language/", moved(views.choose_language), name="language"),
    path("<slug:slug>/cart/", moved(views.cart_page), name="cart"),
    path("<slug:slug>/cart/add/", moved(views.cart_add), name="cart_add"),
    path("<slug:slug>/cart/update/", moved(views.cart_update), name="cart_update"),
    path("<slug:slug>/cart/remove/", moved(views.cart_remove), name="cart_remove"),
    path("<slug:slug>/cart/pin/", moved(views.cart_pin), name="cart_pin"),
    path("<slug:slug>/cart/coupon/", moved(views.cart_coupon), name="cart_coupon"),
    path("<slug:slug>/cart/draft/", moved(views.cart_draft), name="cart_draft"),
    path("<slug:slug>/cart/r/<slug:token>/", moved(views.cart_restore), name="cart_restore"),
    path("<slug:slug>/checkout/", moved(views.checkout), name="checkout"),
    path("<slug:slug>/o/<slug:token>/", moved(views.order), name="order"),
    path("<slug:slug>/o/<slug:token>/invoice.pdf", moved(invoices.order_invoice), name="order_invoice"),
    path("<slug:slug>/o/<slug:token>/confirm/", moved(cod.confirm), name="order_confirm"),
    path(
        "<slug:slug>/o/<slug:token>/credit-notes/<id:pk>.pdf", moved(invoices.credit_note), name="credit_note"
    ),
]
