"""URLs of the merchant dashboard, all under /dashboard/."""

from django.urls import path

from . import delivery, invoices, promotions, refunds, taxes, views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("store/new/", views.store_create, name="store_create"),
    path("store/", views.store_settings, name="store_settings"),
    path("store/audit/", views.store_audit, name="store_audit"),
    path("store/synonyms/", views.search_synonyms, name="search_synonyms"),
    path("delivery/", delivery.delivery_settings, name="delivery"),
    path("products/", views.products, name="products"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/bulk/", views.bulk_edit, name="bulk_edit"),
    path("products/<id:pk>/", views.product_edit, name="product_edit"),
    path("products/<id:pk>/visibility/", views.product_visibility, name="product_visibility"),
    path("products/<id:pk>/delete/", views.product_delete, name="product_delete"),
    path("orders/", views.orders, name="orders"),
    path("orders/<id:number>/", views.order_detail, name="order_detail"),
    path("orders/<id:number>/invoice.pdf", invoices.order_invoice, name="order_invoice"),
    path("orders/<id:number>/refunds/", refunds.order_refund, name="order_refund"),
    path("orders/<id:number>/credit-notes/<id:pk>.pdf", refunds.credit_note, name="credit_note"),
    path("tokens/", views.api_tokens, name="api_tokens"),
    path("tokens/<id:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("categories/", views.categories, name="categories"),
    path("categories/<id:pk>/rename/", views.category_rename, name="category_rename"),
    path("categories/<id:pk>/delete/", views.category_delete, name="category_delete"),
    path("tax/", taxes.tax_settings, name="tax_settings"),
    path("tax/categories/", taxes.category_tax, name="category_tax"),
    path("tax/categories/<id:pk>/clear/", taxes.category_tax_clear, name="category_tax_clear"),
    path("products/<id:pk>/tax/", taxes.product_tax, name="product_tax"),
    path("products/<id:pk>/tax/clear/", taxes.product_tax_clear, name="product_tax_clear"),
    path("coupons/", promotions.coupons, name="coupons"),
    path("coupons/new/", promotions.coupon_create, name="coupon_create"),
    path("coupons/<id:pk>/", promotions.coupon_edit, name="coupon_edit"),
    path("coupons/<id:pk>/active/", promotions.coupon_active, name="coupon_active"),
    path("offers/", promotions.offers, name="offers"),
    path("offers/new/", promotions.offer_create, name="offer_create"),
    path("offers/<id:pk>/", promotions.offer_edit, name="offer_edit"),
    path("offers/<id:pk>/active/", promotions.offer_active, name="offer_active"),
]
