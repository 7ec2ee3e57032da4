"""The OpenAPI document as it is checked in at docs/openapi.json: generated, never edited by hand."""

import json

from django.conf import settings

from .api import api

CHECKED_IN = settings.BASE_DIR / "docs" / "openapi.json"


def openapi_text() -> str:
    """The schema as docs/openapi.json holds it: sorted keys, two-space indent, a final newline."""
    schema = api.get_openapi_schema()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
