"""Public store pages, at the share link /s/<slug>/."""

from django.urls import path, re_path

from . import views

app_name = "storefront"
urlpatterns = [
    path("<slug:slug>/", views.store_home, name="store_home"),
    path("<slug:slug>/c/<id:category_id>/", views.category, name="category"),
    path("<slug:slug>/p/<id:product_id>/", views.product, name="product"),
    # Both /search?q= and /search/?q= answer directly: a redirect costs a round trip on a slow network.
    re_path(r"^(?P<slug>[-a-zA-Z0-9_]+)/search/?$", views.search, name="search"),
    path("<slug:slug>/cart/", views.cart_page, name="cart"),
    path("<slug:slug>/cart/add/", views.cart_add, name="cart_add"),
    path("<slug:slug>/cart/update/", views.cart_update, name="cart_update"),
    path("<slug:slug>/cart/remove/", views.cart_remove, name="cart_remove"),
    path("<slug:slug>/checkout/", views.checkout, name="checkout"),
    path("<slug:slug>/o/<slug:token>/", views.order, name="order"),
]
