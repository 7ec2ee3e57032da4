"""When the database cannot be reached: 503 with Retry-After and words that say nothing was saved.

`server_error` is the handler500 of the URLconf. Django calls it for every exception that a view or
any middleware layer lets out (it turns exceptions into responses inside each layer, so no outer
try/except would see them), with the exception still being handled: a database that is down
(OperationalError, InterfaceError: refused, closed connection, a PgBouncer error) answers 503, an
HTML page or, where an app registered its own (registry.add_unavailable_renderer; /api/ answers a
problem document), that app's; anything else keeps Django's 500. The API's own views map the same
errors in dukaan/api/problems.py through `is_database_down`.

The page is rendered without the request's context processors: those read the session and the
user, which need the database that just failed.
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext, gettext_noop
from django.views import defaults

from . import registry

logger = logging.getLogger(__name__)

MESSAGE = gettext_noop(
    "We could not save that just now. Nothing was saved or charged. Please try again in a minute."
)
TEMPLATE = "database_unavailable.html"


def is_database_down(error: BaseException | None) -> bool:
    """Is `error` (or what it was raised from) the database failing to answer?"""
    while error is not None:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        error = error.__cause__
    return False


def database_unavailable(request: HttpRequest) -> HttpResponse:
    seconds = int(settings.DB_UNAVAILABLE_RETRY_AFTER_SECONDS)
    render = registry.unavailable_renderer(request.path)
    message = gettext(MESSAGE)  # in the request's language
    response = render(request, message) if render else HttpResponse(_page(message, seconds), status=503)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


def _page(message: str, seconds: int) -> str:
    try:
        return render_to_string(TEMPLATE, {"message": message, "retry_after": seconds})
    except Exception:  # a missing static manifest must not turn this page into a 500
        logger.exception("could not render %s", TEMPLATE)
        return f"<!doctype html><title>Try again in a minute</title><p>{message}</p>"


def server_error(request: HttpRequest) -> HttpResponse:
    error = sys.exc_info()[1]
    if is_database_down(error):
        logger.warning("database unavailable for %s %s: %s", request.method, request.path, error)
        return database_unavailable(request)
    return defaults.server_error(request)
