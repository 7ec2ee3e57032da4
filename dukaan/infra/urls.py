"""URLs of the infra app: the health probes."""

from django.urls import path

from . import views

app_name = "infra"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]
