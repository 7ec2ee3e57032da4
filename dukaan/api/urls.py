"""URLs under /api/: the versioned API, its docs page, and problem-type descriptions.

Every view under /api/v1/ is wrapped by `limits.guard_url`, so an oversized body is refused before
it is read, and an unknown path or method is a problem+json answer like every other error.
"""

from pathlib import Path

import ninja
from django.http import FileResponse, HttpRequest, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern, path, re_path, reverse
from django.views.decorators.http import require_GET

from .api import api
from .limits import guard_url
from .problems import PROBLEM_TYPES, TYPE_PREFIX, problem_response

# Swagger UI ships inside django-ninja; served from there so the docs work offline too.
ASSETS_DIR = Path(ninja.__file__).parent / "static" / "ninja"
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.svg": "image/svg+xml",
}


@require_GET
def docs(request: HttpRequest):
    settings = {"url": reverse("api-v1:openapi-json"), "layout": "BaseLayout", "deepLinking": True}
    return render(request, "api/docs.html", {"swagger_settings": settings})


@require_GET
def docs_asset(request: HttpRequest, name: str):
    if name not in ASSETS:
        return problem_response(request, "not-found", "There is no such file.")
    response = FileResponse((ASSETS_DIR / name).open("rb"), content_type=ASSETS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response


def problem_type(request: HttpRequest, kind: str):
    """What a problem `type` means: GET the type URI of any error the API sent."""
    found = PROBLEM_TYPES.get(kind)
    if found is None:
        return problem_response(request, "not-found", "There is no such problem type.")
    return JsonResponse(
        {
            "type": TYPE_PREFIX + kind,
            "title": found.title,
            "status": found.status,
            "description": found.description,
        }
    )


def not_found(request: HttpRequest, rest: str = ""):
    return problem_response(request, "not-found", "There is no API endpoint at this address.")


def _guarded(urls):
    patterns, app_name, namespace = urls
    wrapped = [
        URLPattern(p.pattern, guard_url(p.callback), p.default_args, p.name)
        if isinstance(p, URLPattern)
        else p
        for p in patterns
    ]
    return wrapped, app_name, namespace


urlpatterns = [
    path("v1/", _guarded(api.urls)),
    path("docs", docs, name="api-docs"),
    path("docs/", docs),
    path("docs/assets/<str:name>", docs_asset, name="api-docs-asset"),
    path("problems/<slug:kind>", problem_type, name="api-problem"),
    re_path(r"^(?P<rest>.*)$", not_found),
]
