"""Errors as RFC 9457 problem details: the one place that turns a refusal into an HTTP response.

Every error the API sends is `application/problem+json` with a `type`, a `title`, the `status`,
a `detail` a person can act on and the `instance` (the request's path). Validation problems add
`errors`, one per field. Handlers here map ninja's, Django's and the domain's exceptions.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from dukaan.catalog.services import SlugUnavailable
from dukaan.infra import unavailable
from dukaan.infra.bodies import close_after
from dukaan.orders.services import CheckoutRefused, IllegalTransition, PricesChanged, TotalChanged
from dukaan.payments.services import RefundKeyReused, RefundRefused
from dukaan.payments.statements import StatementRefused

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "/api/problems/"


@dataclass(frozen=True)
class ProblemType:
    status: int
    title: str
    description: str


# Each `type` URI is /api/problems/<slug>; GET it for this description. docs/api.md lists them too.
PROBLEM_TYPES: dict[str, ProblemType] = {
    "store-moved": ProblemType(
        308,
        "Store moved",
        "The store's address changed: `Location` is this request's address under its new slug, named in "
        "`slug`. Send the request there, and use the new slug from now on.",
    ),
    "malformed-request": ProblemType(
        400,
        "Malformed request",
        "The body is not valid JSON, or a header or multipart part could not be read.",
    ),
    "invalid-cursor": ProblemType(
        400, "Invalid cursor", "The cursor was not one this list gave out. Start again without a cursor."
    ),
    "unauthorized": ProblemType(
        401,
        "Authentication required",
        "Send a live API token as `Authorization: Bearer dk_…`. Tokens are made in the dashboard.",
    ),
    "insufficient-scope": ProblemType(
        403,
        "Token lacks a scope",
        "The token was not given the scope this operation needs (`required_scope`). Scopes are chosen "
        "when a token is made: make a new token with that scope in the dashboard.",
    ),
    "role-refused": ProblemType(
        403,
        "The token's role may not do this",
        "The token was made by a member whose role (`token_role`) does not reach this part of the store "
        "(`required_access`): for example a Staff member's token cannot cancel orders. docs/staff.md "
        "lists what each role may do.",
    ),
    "not-found": ProblemType(404, "Not found", "There is nothing at this address for you."),
    "method-not-allowed": ProblemType(
        405, "Method not allowed", "The `Allow` header lists the methods here."
    ),
    "illegal-transition": ProblemType(
        409, "Order status cannot change", "The order cannot move to that status from where it is now."
    ),
    "prices-changed": ProblemType(
        409,
        "Prices changed",
        "A price moved since it was seen. `quote` has the new prices; send them as `seen_price` to order.",
    ),
    "payment-unavailable": ProblemType(
        409,
        "Online payment not available",
        "The order cannot be paid online now: it is not paid online, already paid or cancelled, or the "
        "payment provider is not set up or not answering. `detail` says which.",
    ),
    "payload-too-large": ProblemType(
        413, "Request too large", "The body is larger than this endpoint accepts."
    ),
    "unsupported-media-type": ProblemType(
        415, "Unsupported media type", "Send JSON as application/json, or uploads as multipart/form-data."
    ),
    "validation": ProblemType(422, "Invalid request", "Some values are not acceptable; `errors` names them."),
    "checkout-refused": ProblemType(
        422,
        "Order not placed",
        "The order cannot be placed as it is; `messages` says why. Nothing was saved.",
    ),
    "statement-unreadable": ProblemType(
        422,
        "Statement not read",
        "The statement could not be read (not text, too large, no amounts, or a line that is not one); "
        "`detail` names the line and what to do. Nothing was changed.",
    ),
    "refund-refused": ProblemType(
        422, "Refund not made", "The refund cannot be made as asked; `detail` says why. Nothing changed."
    ),
    "idempotency-key-reused": ProblemType(
        422,
        "Idempotency-Key reused",
        "This Idempotency-Key was already used for a different request. Use a new key for a new request.",
    ),
    "rate-limited": ProblemType(429, "Too many requests", "Wait the number of seconds in `Retry-After`."),
    "server-error": ProblemType(500, "Server error", "Something broke on our side. Try again later."),
    "service-unavailable": ProblemType(
        503,
        "Service unavailable",
        "The database is not answering. Nothing was saved; retry after `Retry-After`.",
    ),
}


class Problem(Exception):
    """Raise to answer with a problem; `extensions` become extra members of the body."""

    def __init__(self, kind: str, detail: str, *, headers: dict[str, str] | None = None, **extensions):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions

    @property
    def status(self) -> int:
        return PROBLEM_TYPES[self.kind].status


def not_found(what: str) -> Problem:
    """The same answer for a missing object and for another store's: nothing says which it was."""
    return Problem("not-found", f"There is no such {what} in your store.")


def problem_response(
    request: HttpRequest, kind: str, detail: str, *, headers: dict[str, str] | None = None, **extensions
) -> HttpResponse:
    problem_type = PROBLEM_TYPES[kind]
    body = {
        "type": TYPE_PREFIX + kind,
        "title": problem_type.title,
        "status": problem_type.status,
        "detail": detail,
        "instance": request.path,
        **extensions,
    }
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False),
        status=problem_type.status,
        content_type=CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def render(request: HttpRequest, problem: Problem) -> HttpResponse:
    return problem_response(
        request, problem.kind, problem.detail, headers=problem.headers, **problem.extensions
    )


# --- Field errors ----------------------------------------------------------------------------------

# The domain names some fields after the model; the API after what a client sends.
_FIELD_NAMES = {"category": "category_id", "__all__": None}


def _field_path(location: tuple) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


def _pydantic_message(error: dict) -> str:
    message = str(error.get("msg", "Invalid value."))
    # Our own validators raise ValueError, which pydantic prefixes; the message is already for people.
    message = message.removeprefix("Value error, ")
    return message if message.endswith(".") else message + "."


def validation_errors(errors: list[dict]) -> list[dict]:
    """ninja's error list as [{field, location, message}]; the body parameter's own name is dropped."""
    result = []
    for error in errors:
        location = tuple(error.get("loc", ()))
        source, rest = (location[0], location[1:]) if location else ("body", ())
        if source == "body" and rest:
            rest = rest[1:]  # the view's parameter name, e.g. ("payload", "price") -> ("price",)
        result.append(
            {"field": _field_path(rest) or None, "location": source, "message": _pydantic_message(error)}
        )
    return result


def domain_errors(error: DjangoValidationError) -> list[dict]:
    """A service's ValidationError as [{field, location, message}]."""
    if hasattr(error, "error_dict"):
        return [
            {"field": _FIELD_NAMES.get(field, field), "location": "body", "message": message}
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return [{"field": None, "location": "body", "message": message} for message in error.messages]


def _summary(errors: list[dict]) -> str:
    parts = [f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors]
    return " ".join(parts) or "The request is not valid."


# --- Handlers --------------------------------------------------------------------------------------


def install(api: NinjaAPI) -> None:
    """Register a handler for every exception an operation can raise; nothing reaches Django's 500."""

    def handle(exc_class):
        return api.exception_handler(exc_class)

    @handle(Problem)
    def _problem(request, exc: Problem):
        return render(request, exc)

    @handle(NinjaValidationError)
    def _invalid(request, exc: NinjaValidationError):
        errors = validation_errors(exc.errors)
        return problem_response(request, "validation", _summary(errors), errors=errors)

    @handle(SlugUnavailable)
    def _slug(request, exc: SlugUnavailable):
        errors = domain_errors(exc)
        return problem_response(
            request, "validation", _summary(errors), errors=errors, suggestion=exc.suggestion
        )

    @handle(DjangoValidationError)
    def _domain_invalid(request, exc: DjangoValidationError):
        errors = domain_errors(exc)
        return problem_response(request, "validation", _summary(errors), errors=errors)

    @handle(PricesChanged)
    def _prices_changed(request, exc: PricesChanged):
        from .schemas import QuoteOut  # schemas import this module for the Problem shape

        quote = QuoteOut.model_validate(exc.quote).model_dump(mode="json")
        if isinstance(exc, TotalChanged):
            detail = " ".join(exc.messages) + " Send the new total as expected_total to place the order."
        else:
            detail = "Prices changed: " + " ".join(exc.messages) + " Send the new prices to place the order."
        return problem_response(request, "prices-changed", detail, messages=exc.messages, quote=quote)

    @handle(CheckoutRefused)
    def _refused(request, exc: CheckoutRefused):
        return problem_response(request, "checkout-refused", " ".join(exc.messages), messages=exc.messages)

    @handle(StatementRefused)
    def _statement(request, exc: StatementRefused):
        return problem_response(request, "statement-unreadable", exc.message)

    @handle(RefundRefused)
    def _refund_refused(request, exc: RefundRefused):
        return problem_response(request, "refund-refused", exc.message)

    @handle(RefundKeyReused)
    def _refund_key_reused(request, exc: RefundKeyReused):
        return problem_response(request, "idempotency-key-reused", exc.message)

    @handle(IllegalTransition)
    def _illegal(request, exc: IllegalTransition):
        return problem_response(request, "illegal-transition", exc.message)

    @handle(AuthenticationError)
    def _unauthenticated(request, exc: AuthenticationError):
        return problem_response(
            request,
            "unauthorized",
            "Send your API token as `Authorization: Bearer dk_…`.",
            headers={"WWW-Authenticate": 'Bearer realm="dukaan"'},
        )

    @handle(Throttled)
    def _throttled(request, exc: Throttled):
        seconds = max(1, int(exc.wait or 1))
        return rate_limited(request, seconds)

    @handle(HttpError)
    def _http_error(request, exc: HttpError):
        if isinstance(exc.__cause__, Problem):  # ninja wraps what the body parser raised
            return render(request, exc.__cause__)
        kind = next((k for k, t in PROBLEM_TYPES.items() if t.status == exc.status_code), "malformed-request")
        return problem_response(request, kind, str(exc))

    @handle(Http404)
    def _not_found(request, exc: Http404):
        return problem_response(request, "not-found", "There is nothing at this address.")

    @handle(RequestDataTooBig)
    def _too_big(request, exc: RequestDataTooBig):
        return too_large(request)

    @handle(SuspiciousOperation)
    def _suspicious(request, exc: SuspiciousOperation):
        return problem_response(request, "malformed-request", f"The request could not be read: {exc}")

    @handle(MultiPartParserError)
    def _multipart(request, exc: MultiPartParserError):
        return problem_response(
            request, "malformed-request", f"The multipart/form-data body could not be read: {exc}"
        )

    @handle(UnreadablePostError)
    def _unreadable(request, exc: UnreadablePostError):
        return problem_response(request, "malformed-request", "The body was cut off before it all arrived.")

    @handle(Exception)
    def _unexpected(request, exc: Exception):
        if unavailable.is_database_down(exc):
            return unavailable.database_unavailable(request)
        logger.exception("API %s %s failed", request.method, request.path)
        return server_error(request)


def rate_limited(request: HttpRequest, seconds: int) -> HttpResponse:
    return problem_response(
        request,
        "rate-limited",
        f"Too many requests. Try again in {seconds} second{'s' if seconds != 1 else ''}.",
        headers={"Retry-After": str(seconds)},
    )


def too_large(request: HttpRequest, limit: int | None = None) -> HttpResponse:
    detail = "The request body is too large."
    if limit:
        detail = f"The request body is larger than the {limit:,} bytes this endpoint accepts."
    response = problem_response(request, "payload-too-large", detail)
    close_after(response)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    return problem_response(
        request, "server-error", "Something went wrong on our side; it has been logged. Try again later."
    )
