"""Request bodies larger than this deployment takes are answered 413 with a message, before being read.

Behind nginx a body over client_max_body_size never arrives; a request sent straight to a web process
(a pod's port, a load balancer without that limit) meets the same limit here, MAX_REQUEST_BYTES.
Django's own limits count form fields only (never files) and answer a bare 400; a form over them is
a 413 with a message too. Every 413 closes the connection (`Connection: close`). Django's development
server (wsgiref: runserver, pytest-django's live_server) refuses a hop-by-hop header from the app;
`dukaan web` (granian) is the server here.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext
from django.views import defaults


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def too_large(message: str) -> HttpResponse:
    response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    close_after(response)
    return response


def close_after(response: HttpResponse) -> None:
    """The rest of a refused body is never read, so the connection cannot carry another request: say
    so, or the server (granian) drops it unannounced and the client's next request on it fails."""
    response["Connection"] = "close"


class RequestSizeMiddleware:
    """Refuses a body whose Content-Length is over MAX_REQUEST_BYTES; nothing of it is read."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        length = request.META.get("CONTENT_LENGTH") or ""
        # Django reads anything else as 0 and the body as empty.
        if length.isascii() and length.isdigit() and int(length) > settings.MAX_REQUEST_BYTES:
            # Before LocaleMiddleware: the language that would pick (the buyer's choice, the browser's).
            with translation.override(translation.get_language_from_request(request)):
                return too_large(
                    gettext(
                        "This request is %(size)s MB; the most this site accepts is %(most)s MB. Send "
                        "fewer or smaller photos at a time."
                    )
                    % {"size": _megabytes(int(length)), "most": _megabytes(settings.MAX_REQUEST_BYTES)}
                )
        return self.get_response(request)


def bad_request(request, exception=None):
    """handler400: a form over Django's limits is told so with a 413; any other bad request as Django does."""
    if isinstance(exception, RequestDataTooBig):
        return too_large(
            gettext(
                "This form sent more than the %(most)s MB of text this site accepts. Shorten it and send "
                "it again."
            )
            % {"most": _megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}
        )
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return too_large(
            gettext(
                "This form sent more than the %(fields)s fields or %(files)s files this site accepts at "
                "once. Send it in parts."
            )
            % {
                "fields": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
                "files": settings.DATA_UPLOAD_MAX_NUMBER_FILES,
            }
        )
    return defaults.bad_request(request, exception)
