"""URLs of the storefront app."""

from django.urls import path  # noqa: F401

app_name = "storefront"
urlpatterns: list = []
