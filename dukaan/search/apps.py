from django.apps import AppConfig
from django.conf import settings

from dukaan.infra.registry import DEGRADED, OK, Check, add_status_section


class SearchConfig(AppConfig):
    name = "dukaan.search"
    label = "search"

    def ready(self) -> None:
        add_status_section(search_status, order=20)


def search_status() -> list[Check]:
    """/status: which engine answers searches, and how many fell back to the database here."""

    from . import service

    engine = "Elasticsearch" if settings.SEARCH_URL.startswith("http") else "embedded (tantivy)"
    if service.breaker.state != "closed":
        return [Check("search", DEGRADED, f"{engine} failing: searches answered from the database")]
    return [
        Check("search", OK, f"{engine}; {service.fallback_count()} searches fell back to the database here")
    ]
