"""URLs of the infra app: the health probes and the Prometheus metrics."""

from django.urls import path

from . import metrics, views

app_name = "infra"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
]
