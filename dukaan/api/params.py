"""Path, query and header parameters shared by the endpoints, with their bounds and descriptions."""

from typing import Annotated

from ninja import Header, Path, Query
from pydantic import Field

from dukaan.infra.integers import MAX_ID

from .idempotency import HEADER, KEY_DESCRIPTION, KEY_PATTERN
from .pagination import MAX_CURSOR_LENGTH, MAX_LIMIT
from .schemas import NO_NUL

_ID = {"ge": 1, "le": MAX_ID}

CategoryId = Path[int, _ID]
ProductId = Path[int, _ID]
ImageId = Path[int, _ID]
OrderId = Path[int, _ID]
# As in the storefront's share link /s/<slug>/.
StoreSlug = Path[str, {"pattern": r"^[-a-zA-Z0-9_]{1,40}$", "description": "The store's link name"}]
OrderToken = Path[str, {"pattern": r"^[-a-zA-Z0-9_]{1,32}$", "description": "The order's public token"}]

Cursor = Query[
    str | None,
    {
        "max_length": MAX_CURSOR_LENGTH,
        "pattern": NO_NUL,
        "description": "`next_cursor` of the previous page; leave out for the first page",
    },
]
Limit = Query[int, {"ge": 1, "le": MAX_LIMIT, "description": f"Items per page, at most {MAX_LIMIT}"}]

CategoryFilter = Query[int | None, {**_ID, "description": "Only this category's products"}]
ProductQuery = Query[str, {"max_length": 100, "pattern": NO_NUL, "description": "Name, or an exact SKU"}]
SearchWords = Query[str, {"max_length": 100, "pattern": NO_NUL, "description": "Words to find"}]
# Text the document calls a date: merchant.list_orders reads it, to say what is wrong with one that is not.
Day = Query[
    Annotated[str, Field(json_schema_extra={"format": "date"})] | None,
    {
        "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        "description": "YYYY-MM-DD in the store's time zone",
    },
]

OptionalKey = Header[str | None, {"alias": HEADER, "pattern": KEY_PATTERN, "description": KEY_DESCRIPTION}]
RequiredKey = Header[str, {"alias": HEADER, "pattern": KEY_PATTERN, "description": KEY_DESCRIPTION}]
