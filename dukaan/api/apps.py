from django.apps import AppConfig
from django.http import HttpRequest, HttpResponse

from dukaan.infra.registry import add_not_copied, add_unavailable_renderer


class ApiConfig(AppConfig):
    name = "dukaan.api"
    label = "api"

    def ready(self) -> None:
        add_unavailable_renderer("/api/", service_unavailable)
        add_not_copied(
            self.get_model("IdempotencyRecord"),
            "idempotency records: stored API responses with buyers' details",
        )


def service_unavailable(request: HttpRequest, message: str) -> HttpResponse:
    """While the database is down an API client gets a problem document, like every other API error."""
    from .problems import problem_response  # ninja is heavy: a process that never answers /api/ skips it

    return problem_response(request, "service-unavailable", message)
