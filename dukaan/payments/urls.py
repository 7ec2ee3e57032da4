"""URLs of the payments app: payment-provider webhooks, under /payments/."""

from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("webhook/<slug:provider>/", views.webhook, name="webhook"),
]
