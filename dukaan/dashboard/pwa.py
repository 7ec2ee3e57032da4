"""The dashboard as an app on a phone: its web manifest, service worker and offline page (docs/pwa.md).

None of the three reads the session or the database: they hold nothing of any merchant's, so anyone
may fetch them, and the offline page renders with no server data at all. Each sets its own
Cache-Control, so the no-store middleware (infra/private.py) never has to ask who is signed in.
"""

import hashlib

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_GET

THEME_COLOUR = "#12372a"  # the top bar's green (dukaan.css)
BACKGROUND_COLOUR = "#f6f7f9"  # the page's grey, shown while the app starts
STYLESHEET = "dukaan/dukaan.css"
# Drawn by tools/app_icons.py. Android crops a maskable icon to its own shape; the others it shows whole.
ICONS = [
    ("icon-192.png", "192x192", "any"),
    ("icon-512.png", "512x512", "any"),
    ("icon-maskable-512.png", "512x512", "maskable"),
]


def offline_page() -> str:
    # Rendered without the request, so no context processor loads the session or the user: the same
    # bytes for everyone, and base.html shows no merchant's menu.
    return render_to_string("dashboard/offline.html")


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    home = reverse("dashboard:home")
    icons = [
        {"src": static(f"dashboard/{name}"), "sizes": size, "type": "image/png", "purpose": purpose}
        for name, size, purpose in ICONS
    ]
    body = {
        "id": home,
        "name": "Dukaan",
        "short_name": "Dukaan",
        "description": gettext("Your shop's orders, products and payments."),
        "lang": get_language(),
        "start_url": home,
        "scope": home,
        "display": "standalone",
        "background_color": BACKGROUND_COLOUR,
        "theme_color": THEME_COLOUR,
        "icons": icons,
    }
    response = JsonResponse(body, content_type="application/manifest+json")
    response["Cache-Control"] = "max-age=3600"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    stylesheet = static(STYLESHEET)
    # The cache is named after what it holds, so a deploy that changes the offline page changes this
    # file, the browser installs it anew, and the old cache is deleted.
    version = hashlib.sha256((offline_page() + stylesheet).encode()).hexdigest()[:12]
    context = {"version": version, "offline_url": reverse("dashboard:offline"), "stylesheet_url": stylesheet}
    response = HttpResponse(render_to_string("dashboard/sw.js", context), content_type="text/javascript")
    # Browsers check for a new worker at most daily whatever this says; no-cache makes each check real.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(offline_page())
    response["Cache-Control"] = "no-cache"
    return response
