"""Idempotency-Key: a retried request gets the first answer instead of doing the change again.

The key is claimed, the change made and its response stored in ONE database transaction. So:
- the same key and the same request again replays the stored response (`Idempotent-Replayed: true`);
- the same key with a different request is refused (422), whatever the first one was;
- two concurrent requests with one key cannot both run: the second one's insert of the key waits
  on the unique constraint until the first commits, then finds its record and replays it;
- a refused request (4xx) rolls back with its key, so the key can be used again to retry it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from pydantic import BaseModel

from dukaan.catalog.models import Store

from .models import IdempotencyRecord
from .problems import Problem

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = r"^[\x21-\x7e]{1,60}$"  # printable ASCII without spaces; a UUID is a good choice
KEY_DESCRIPTION = (
    "Makes the request safe to retry: the same key with the same body returns the first response; "
    "the same key with a different body is refused. Use a new UUID per change."
)


def fingerprint(request: HttpRequest, payload: BaseModel | None) -> str:
    """What makes two requests "the same": method, path and the validated body, canonically written."""
    body = payload.model_dump(mode="json") if payload is not None else None
    text = json.dumps([request.method, request.path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _response(api, request: HttpRequest, status: int, content: str, *, replayed: bool) -> HttpResponse:
    response = HttpResponse(content, status=status, content_type=api.get_content_type())
    if replayed:
        response[REPLAYED_HEADER] = "true"
    return response


def run_once(
    *,
    request: HttpRequest,
    store: Store,
    scope: str,
    key: str | None,
    payload: BaseModel | None,
    change: Callable[[], tuple[int, BaseModel]],
) -> HttpResponse:
    """Run `change` (which returns a status and a response schema) at most once per key.

    Without a key the change simply runs. Exceptions from `change` propagate (and roll back the key).
    """
    api = _api()
    if not key:
        status, body = change()
        return _response(api, request, status, _render(api, request, status, body), replayed=False)
    request_hash = fingerprint(request, payload)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    store=store,
                    scope=scope,
                    key=key,
                    request_hash=request_hash,
                    status_code=0,
                    response_body="",
                )
        except IntegrityError:
            record = IdempotencyRecord.objects.get(store=store, scope=scope, key=key)
            if record.request_hash != request_hash:
                raise Problem(
                    "idempotency-key-reused",
                    f"The Idempotency-Key “{key}” was already used for a different request. "
                    "Send a new key for a new change, or the same body to get the first response again.",
                ) from None
            return _response(api, request, record.status_code, record.response_body, replayed=True)
        status, body = change()
        content = _render(api, request, status, body)
        record.status_code, record.response_body = status, content
        record.save(update_fields=["status_code", "response_body"])
    return _response(api, request, status, content, replayed=False)


def _api():
    from .api import api

    return api


def _render(api, request: HttpRequest, status: int, body: BaseModel) -> str:
    # The renderer ninja uses for every other response, so a replay is byte for byte the first answer.
    return api.renderer.render(request, body.model_dump(), response_status=status)
