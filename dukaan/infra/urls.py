"""URLs of the infra app."""

from django.urls import path  # noqa: F401

app_name = "infra"
urlpatterns: list = []
