"""Limits every API request meets before it reaches an endpoint: size, content type and rate.

Rates are fixed-window counters (dukaan.infra.clients.count_request): one per API token on merchant
endpoints, one per client address on public endpoints and on failed token checks. Limits come from
the API_* settings.
"""

from __future__ import annotations

import threading
from functools import wraps

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest
from ninja.throttling import BaseThrottle

from dukaan.infra.clients import client_address, count_request

from . import problems

JSON_TYPES = ("application/json",)
MULTIPART = "multipart/form-data"
BODY_METHODS = {"POST", "PUT", "PATCH"}


# --- Rate limits -----------------------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    return client_address(request) or "unknown"


class _Limit(BaseThrottle):
    """A ninja throttle over count_request(); the wait is per thread, as requests are."""

    bucket = ""

    def __init__(self) -> None:
        self._wait = threading.local()

    def limit(self) -> int:
        raise NotImplementedError

    def ident(self, request: HttpRequest) -> str:
        raise NotImplementedError

    def allow_request(self, request: HttpRequest) -> bool:
        self._wait.seconds = count_request(self.bucket, self.ident(request), self.limit())
        return self._wait.seconds is None

    def wait(self) -> float | None:
        return getattr(self._wait, "seconds", None)


class PerToken(_Limit):
    bucket = "token"

    def limit(self) -> int:
        return settings.API_RATE_LIMIT_PER_TOKEN

    def ident(self, request: HttpRequest) -> str:
        return str(request.auth.pk)


class PerIp(_Limit):
    bucket = "ip"

    def limit(self) -> int:
        return settings.API_RATE_LIMIT_PER_IP

    def ident(self, request: HttpRequest) -> str:
        return client_ip(request)


# --- Size and content type ------------------------------------------------------------------------


def _media_type(request: HttpRequest) -> str:
    return (request.content_type or "").split(";")[0].strip().lower()


def _size_problem(request: HttpRequest):
    if request.method not in BODY_METHODS:
        return None
    limit = (
        settings.API_MAX_UPLOAD_BYTES if _media_type(request) == MULTIPART else settings.API_MAX_BODY_BYTES
    )
    raw_length = request.META.get("CONTENT_LENGTH") or "0"
    if not raw_length.isdigit():
        return problems.problem_response(
            request, "malformed-request", "The Content-Length header must be a number of bytes."
        )
    if int(raw_length) > limit:
        return problems.too_large(request, limit)
    if _media_type(request) != MULTIPART:
        # The body as it arrived, which a server may have taken chunked, without a Content-Length.
        try:
            if len(request.body) > limit:
                return problems.too_large(request, limit)
        except RequestDataTooBig:
            return problems.too_large(request, limit)
    return None


def guard_url(view):
    """Wrap one of the API's URL views: refuse an oversized body before anything reads it, and
    answer unknown paths and methods with problems too."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        problem = _size_problem(request)
        if problem is not None:
            return problem
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return problems.problem_response(
                request, "not-found", "There is no API endpoint at this address."
            )
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            problems.CONTENT_TYPE
        ):
            allowed = response.get("Allow", "")
            refused = problems.problem_response(
                request,
                "method-not-allowed",
                f"{request.method} is not allowed here. Use {allowed or 'another method'}.",
            )
            refused["Allow"] = allowed
            return refused
        return response

    return guarded


def _body_kind(operation) -> str | None:
    """ "json", "multipart" or None: what body the operation reads, from its parameters."""
    sources = {getattr(model, "__ninja_param_source__", None) for model in operation.models}
    if sources & {"file", "form"}:
        return "multipart"
    if "body" in sources:
        return "json"
    return None


def check_content_type(run):
    """ninja "view" decorator (runs before auth and parsing): the body's media type must match."""
    operation = getattr(run, "__self__", None) or run.__wrapped__.__self__
    kind = _body_kind(operation)

    @wraps(run)
    def checked(request, *args, **kwargs):
        if kind and request.method in BODY_METHODS:
            media_type = _media_type(request)
            if kind == "json" and not request.body:
                return problems.problem_response(
                    request, "malformed-request", "The request has no body. Send a JSON object."
                )
            if kind == "json" and media_type not in JSON_TYPES and not media_type.endswith("+json"):
                return problems.problem_response(
                    request,
                    "unsupported-media-type",
                    f"Send the body as JSON with `Content-Type: application/json`"
                    f"{f', not {media_type}' if media_type else ''}.",
                )
            if kind == "multipart" and media_type != MULTIPART:
                return problems.problem_response(
                    request,
                    "unsupported-media-type",
                    f"Upload files as `multipart/form-data`{f', not {media_type}' if media_type else ''}.",
                )
        return run(request, *args, **kwargs)

    return checked
