"""Structured logs: every line, ours and the libraries', through one formatter, with no secrets in it.

Code logs with the standard library (`logging.getLogger(__name__)`); settings.LOGGING hands every
record, Django's, granian's, uvicorn's and Kafka's included, to `formatter()`: one JSON object a line
(DUKAAN_LOG_FORMAT=json, the default where deployed) or a readable line (console, on a laptop). Each
line carries the request id (RequestIdMiddleware), the event being handled (`event_context`) and the
trace and span ids of the current OpenTelemetry span, so a log line leads to its trace and back.

Before a line is written, values under keys that name secrets become "[redacted]", phone numbers keep
only their last 4 digits and a 6-digit number next to "code" or "OTP" is hidden, in the message too.
docs/observability.md shows a line of each format.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from opentelemetry import trace

from dukaan.infra.metrics import request_route

REDACTED = "[redacted]"
# Keys whose values are secrets wherever they appear (a header, a form field, a setting).
_SECRET_KEY = re.compile(
    r"passw(or)?d|passphrase|secret|token|otp|authori[sz]ation|cookie|api[_-]?key|signature|^(login_)?code$",
    re.IGNORECASE,
)
# E.164 numbers (+919812345678), and Indian mobiles written without the country code, with or without
# the usual space (98123 45678). Not inside longer words or numbers: ids and hashes stay as they are.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{8,15}|(?:\+91[ -]?)?[6-9]\d{4}[ -]?\d{5})(?!\w)")
# A login code: six digits a few characters after "code" or "OTP" ("Your login code is 123456").
_LOGIN_CODE = re.compile(r"(\b(?:code|otp)\b\D{0,20}?)\b\d{6}\b", re.IGNORECASE)
# An X-Request-ID we take from the caller (a load balancer, another service); anything else is replaced.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

access_logger = logging.getLogger("dukaan.access")


def masked_phone(phone: str) -> str:
    """Only the last 4 digits of a phone number, enough to tell two apart: +919812345678 -> ******5678."""
    digits = re.sub(r"\D", "", phone)
    return "******" + digits[-4:] if len(digits) > 4 else "****"


def scrubbed(text: str) -> str:
    """`text` with phone numbers masked and login codes hidden."""
    return _PHONE.sub(lambda match: masked_phone(match.group()), _LOGIN_CODE.sub(r"\1******", text))


def _redacted(key: Any, value: Any) -> Any:
    if isinstance(key, str) and _SECRET_KEY.search(key):
        return REDACTED
    if isinstance(value, str):
        return scrubbed(value)
    if isinstance(value, dict):
        return {inner_key: _redacted(inner_key, inner) for inner_key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(None, inner) for inner in value]
    return value


def redact(logger, method_name: str, event_dict: dict) -> dict:
    """structlog processor: no secret, full phone number or login code leaves the process."""
    return {key: _redacted(key, value) for key, value in event_dict.items()}


def add_trace_ids(logger, method_name: str, event_dict: dict) -> dict:
    """structlog processor: the trace and span ids of the current span, when there is one."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


def formatter(log_format: str) -> structlog.stdlib.ProcessorFormatter:
    """The one logging.Formatter of every handler (settings.LOGGING): "json" or "console" lines."""
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    return structlog.stdlib.ProcessorFormatter(
        # Runs in the thread that logs, so the context and the current span are that of the work.
        foreign_pre_chain=[
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.contextvars.merge_contextvars,
            add_trace_ids,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # A traceback becomes text first, so that it is redacted like the message.
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
    )


def request_id_from(header: str) -> str:
    """The caller's X-Request-ID when it is a plain token, else a new one (never a caller's free text)."""
    return header if _REQUEST_ID.fullmatch(header) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives every request an id, on each line it logs and in the X-Request-ID response header, and logs
    one access line: method, URL pattern, status, duration. Never the query string, which can carry
    tokens or phone numbers; the path only for a request no pattern matched (a pattern's path can hold
    an order's secret link)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get("X-Request-ID", ""))
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            response = self.get_response(request)
            route = request_route(request)
            shown = request.path if route == "unmatched" else route
            with structlog.contextvars.bound_contextvars(
                method=request.method,
                route=shown,
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            ):
                access_logger.info("%s %s %s", request.method, shown, response.status_code)
        response["X-Request-ID"] = request_id
        return response


@contextmanager
def event_context(group, event) -> Iterator[None]:
    """While a consumer group handles an event, each line it logs names the event and the group."""
    with structlog.contextvars.bound_contextvars(
        event_id=event.id, event_type=event.type, group=group.instance
    ):
        yield
