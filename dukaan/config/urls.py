"""URL root of the web process."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve


def media(request, path: str):
    # Read MEDIA_ROOT per request rather than at import, so it follows the settings in force.
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    # Upload names are hashes of their bytes and never reused for others (catalog/images.py).
    response["Cache-Control"] = settings.IMMUTABLE_CACHE_CONTROL
    return response


urlpatterns = [
    path("", include("dukaan.infra.urls")),
    path("", include("dukaan.accounts.urls")),
    path("dashboard/", include("dukaan.dashboard.urls")),
    path("s/", include("dukaan.storefront.urls")),
    path("payments/", include("dukaan.orders.urls")),
    path("api/", include("dukaan.api.urls")),
    path("admin/", admin.site.urls),
    # Local files are served by the app itself in the embedded setup; with STORAGE_URL=s3://
    # and a CDN_URL, media URLs point elsewhere and this route is never hit.
    re_path(r"^media/(?P<path>.*)$", media),
]
