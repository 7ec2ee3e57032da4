"""URLs of the infra app: the health probes, the Prometheus metrics and the staff status page."""

from django.urls import path

from . import metrics, status, views

app_name = "infra"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("status", status.status, name="status"),
]
