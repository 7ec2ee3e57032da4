"""URLs of the orders app: payment-provider webhooks, under /payments/."""

from django.urls import path

from . import views

app_name = "orders"
urlpatterns = [
    path("webhook/<slug:provider>/", views.webhook, name="webhook"),
]
