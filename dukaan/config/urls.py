"""URL root of the web process."""

from django.contrib import admin
from django.urls import include, path, re_path

from dukaan.accounts.views import staff_login
from dukaan.infra.media import media
from dukaan.storefront import domains, seo

# A database that does not answer is a 503 with Retry-After, not a 500 (dukaan/infra/unavailable.py).
handler500 = "dukaan.infra.unavailable.server_error"
# A form over Django's body limits is a 413 saying so, not a bare 400 (dukaan/infra/bodies.py).
handler400 = "dukaan.infra.bodies.bad_request"
# A 404 in the reader's language that says why, where the view knows (dukaan/infra/not_found.py).
handler404 = "dukaan.infra.not_found.page_not_found"

urlpatterns = [
    path("", include("dukaan.infra.urls")),
    path("", include("dukaan.accounts.urls")),
    path("robots.txt", seo.platform_robots, name="robots"),
    path("sitemap.xml", seo.sitemap_index, name="sitemap_index"),
    # Caddy's on-demand TLS asks here before getting a certificate for a name (docs/domains.md).
    path("domains/allowed", domains.allowed, name="domain_allowed"),
    path("dashboard/", include("dukaan.dashboard.urls")),
    path("s/", include("dukaan.storefront.urls")),
    path("payments/", include("dukaan.payments.urls")),
    path("api/", include("dukaan.api.urls")),
    # Before the admin's own login page, which it replaces: staff sign in with a password and an SMS
    # code (dukaan/accounts/staff.py). The admin still links here by its name, admin:login.
    path("admin/login/", staff_login),
    path("admin/", admin.site.urls),
    # Uploads, from the folder or the S3 bucket STORAGE_URL names; a CDN_URL in front pulls from here.
    re_path(r"^media/(?P<path>.*)$", media),
]
