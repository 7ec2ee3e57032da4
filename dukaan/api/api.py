"""The API object: /api/v1/, its routers, its JSON parser and its OpenAPI document.

Merchant endpoints need a token and are rate limited per token; public store endpoints are rate
limited per client address. The OpenAPI document is ninja's, completed with the problem
responses every operation can give, so the contract says what the fuzzer will see.
"""

from __future__ import annotations

import json
from copy import deepcopy
from decimal import Decimal
from functools import wraps

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser

from dukaan.accounts.scopes import Scope

from . import (
    buyer,
    drafts,
    fulfilment,
    invoices,
    merchant,
    payments,
    problems,
    promotions,
    refunds,
    shipping,
    statements,
    taxes,
)
from .auth import TokenAuth, token_auth
from .idempotency import REPLAYED_HEADER
from .limits import PerIp, PerToken, check_content_type
from .problems import Problem
from .schemas import ProblemOut

DESCRIPTION = """\
Dukaan's public REST API, for the mobile app, a POS or a marketplace feed.

* **Merchant** endpoints act on one store: send `Authorization: Bearer dk_…` with a token made in
  the dashboard (Store → API tokens). Each token has the scopes chosen when it was made, and each
  operation names the one it needs (in its security requirement and its description); without it
  the answer is a 403 naming the scope.
* **Store (public)** endpoints are a store's catalog and checkout, with no token.
* Money is a decimal string (`"499.00"`); amounts may be sent as strings or JSON numbers.
* Lists take `limit` and `cursor` and answer `{"items": [...], "next_cursor": …}`.
* Errors are `application/problem+json` (RFC 9457). Placing an order and changing stock take an
  `Idempotency-Key` header. Too many requests get a 429 with `Retry-After`.

A walkthrough with curl is in docs/api.md.

Token scopes:

{scopes}
"""


DESCRIPTION = DESCRIPTION.replace(
    "{scopes}", "\n".join(f"* `{scope}`: {scope.description}" for scope in Scope)
)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


class JsonParser(Parser):
    """Bodies as JSON objects, numbers read as Decimal (so 499.99 stays exactly 499.99)."""

    def parse_body(self, request: HttpRequest):
        body = request.body
        if not body.strip():
            raise Problem("malformed-request", "The request has no body. Send a JSON object.")
        try:
            data = json.loads(body, parse_float=Decimal, parse_constant=_refuse_constant)
        except json.JSONDecodeError as error:
            raise Problem(
                "malformed-request",
                f"The body is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno}).",
            ) from error
        except (ValueError, RecursionError) as error:  # bad UTF-8, NaN, or absurdly deep nesting
            raise Problem("malformed-request", f"The body is not valid JSON: {error}.") from error
        if not isinstance(data, dict):
            raise Problem("malformed-request", "The body must be a JSON object: {…}.")
        return data


# --- OpenAPI --------------------------------------------------------------------------------------

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
BODY_METHODS = {"post", "put", "patch"}
CONFLICTS = {
    "set_order_status": "illegal-transition",
    "create_order": "prices-changed",
    "create_shipment": "illegal-transition",
    "pay_order_online": "payment-unavailable",
}


def _problem_response(description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {problems.CONTENT_TYPE: {"schema": PROBLEM_REF}}}
    if headers:
        response["headers"] = headers
    return response


def _header(description: str, schema: dict) -> dict:
    return {"description": description, "required": True, "schema": schema}


RETRY_AFTER = _header("Seconds to wait", {"type": "integer", "minimum": 1})


def _not_nullable(parameter: dict) -> None:
    """A query or header parameter is absent or a string, never JSON null: say just what it is."""
    schema = parameter.get("schema", {})
    options = schema.get("anyOf")
    if options and len(options) == 2 and {"type": "null"} in options:
        (kept,) = [option for option in options if option != {"type": "null"}]
        schema.pop("anyOf")
        schema.update(kept)
    if schema.get("default", 0) is None:
        schema.pop("default")


def _document_problems(schema: dict) -> dict:
    """Add the Problem schema and every error response each operation can give."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = ProblemOut.model_json_schema(
        ref_template="#/components/schemas/{model}", mode="serialization"
    )
    for name, definition in problem_schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components["Problem"] = problem_schema
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            for parameter in operation.get("parameters", []):
                _not_nullable(parameter)
            # ninja keys responses by int; JSON keys are strings, and sorting needs one kind.
            responses = {str(status): response for status, response in operation.get("responses", {}).items()}
            operation["responses"] = responses
            secured = bool(operation.get("security"))
            has_body = method in BODY_METHODS and "requestBody" in operation
            errors = {
                "400": _problem_response("Malformed request: bad JSON, an unreadable header or a bad cursor"),
                "404": _problem_response("Not found (another store's object is not found either)"),
                "422": _problem_response("Invalid values; `errors` names each field"),
                "405": _problem_response(
                    "Method not allowed here",
                    {"Allow": _header("The methods this path takes", {"type": "string"})},
                ),
                "429": _problem_response("Too many requests", {"Retry-After": RETRY_AFTER}),
                "503": _problem_response(
                    problems.PROBLEM_TYPES["service-unavailable"].description, {"Retry-After": RETRY_AFTER}
                ),
            }
            if secured:
                errors["401"] = _problem_response(
                    "No token, or one that is unknown or revoked",
                    {"WWW-Authenticate": _header("The Bearer challenge", {"type": "string"})},
                )
            if any(
                scopes for requirement in operation.get("security", []) for scopes in requirement.values()
            ):
                errors["403"] = _problem_response(problems.PROBLEM_TYPES["insufficient-scope"].description)
            if has_body:
                errors["413"] = _problem_response("The body is larger than this endpoint accepts")
                errors["415"] = _problem_response("The body is not in the media type this endpoint reads")
            conflict = CONFLICTS.get(operation.get("operationId", ""))
            if conflict:
                errors["409"] = _problem_response(problems.PROBLEM_TYPES[conflict].description)
            for status, response in errors.items():
                responses.setdefault(status, response)
            if "Idempotency-Key" in json.dumps(operation.get("parameters", [])):
                for status, response in responses.items():
                    if status.startswith("2"):
                        response.setdefault("headers", {})[REPLAYED_HEADER] = {
                            "description": "`true` when this is the stored answer to an earlier request",
                            "schema": {"type": "string", "enum": ["true"]},
                        }
    return schema


class _Schema(OpenAPISchema):
    """ninja's document, with each operation's token scope in its security requirement and description."""

    def operation_details(self, operation) -> dict:
        details = super().operation_details(operation)
        auths = [auth for auth in operation.auth_callbacks if isinstance(auth, TokenAuth)]
        if auths:
            scope = auths[0].scope
            details["security"] = [{type(auths[0]).__name__: [str(scope)] if scope else []}]
            needs = f"Token scope: `{scope}`." if scope else "Any token of the store (no scope needed)."
            details["description"] = (
                f"{details['description']}\n\n{needs}" if "description" in details else needs
            )
        return details


class DukaanAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        schema = _Schema(self, path_prefix)
        return _document_problems(deepcopy(dict(schema)))

    def get_openapi_operation_id(self, operation) -> str:
        return operation.view_func.__name__


def _no_content_no_type(run):
    """ninja "view" decorator: a 204 has no body, so no Content-Type either (ninja gives it JSON's)."""

    @wraps(run)
    def answered(request, *args, **kwargs):
        response = run(request, *args, **kwargs)
        if response.status_code == 204:
            del response["Content-Type"]
        return response

    return answered


api = DukaanAPI(
    title="Dukaan API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    docs_url=None,  # the docs page is /api/docs, served by dukaan.api.urls
    # Relative: the paths are absolute, so the server is wherever the document was fetched from.
    servers=[{"url": "/", "description": "The Dukaan site that serves this document"}],
    parser=JsonParser(),
)
problems.install(api)
api.add_decorator(check_content_type, mode="view")
api.add_decorator(_no_content_no_type, mode="view")
api.add_router("", merchant.router, auth=token_auth, throttle=PerToken())
api.add_router("", taxes.router, auth=token_auth, throttle=PerToken())
api.add_router("", invoices.router, auth=token_auth, throttle=PerToken())
api.add_router("", drafts.router, auth=token_auth, throttle=PerToken())
api.add_router("", statements.router, auth=token_auth, throttle=PerToken())
api.add_router("", refunds.router, auth=token_auth, throttle=PerToken())
api.add_router("", promotions.router, auth=token_auth, throttle=PerToken())
api.add_router("/stores", buyer.router, throttle=PerIp())
api.add_router("", shipping.router, auth=token_auth, throttle=PerToken())
api.add_router("/stores", shipping.public_router, throttle=PerIp())
api.add_router("", fulfilment.router, auth=token_auth, throttle=PerToken())
api.add_router("", payments.router, auth=token_auth, throttle=PerToken())
api.add_router("/stores", payments.public_router, throttle=PerIp())
