"""URLs of the payments app: payment-provider webhooks, under /payments/."""

from django.urls import path

from . import checkout, views

app_name = "payments"
urlpatterns = [
    path("webhook/<slug:provider>/", views.webhook, name="webhook"),
    path(
        "razorpay/checkout/<str:token>/<str:provider_order_id>/",
        checkout.razorpay_checkout,
        name="razorpay_checkout",
    ),
    path("razorpay/callback/", checkout.razorpay_callback, name="razorpay_callback"),
]
