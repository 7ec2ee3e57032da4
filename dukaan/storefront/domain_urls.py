"""URL root of a request whose Host is a store's verified custom domain (domains.py sets it): the
store's pages at /, plus what those pages link to (uploads, online payment)."""

from django.urls import include, path, re_path, register_converter

from dukaan.infra.media import media

from .urls import store_pages


class HereConverter:
    """The store in a custom domain's paths: not in the path at all. The middleware fills the slug in
    (CustomDomainMiddleware.process_view), and reversing any slug gives "", so {% url 'storefront:cart'
    store.slug %} is /cart/ here and /s/<slug>/cart/ on the platform."""

    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return ""


register_converter(HereConverter, "here")

urlpatterns = [
    path("", include((store_pages("<here:slug>"), "storefront"))),
    path("payments/", include("dukaan.payments.urls")),
    re_path(r"^media/(?P<path>.*)$", media),
]
