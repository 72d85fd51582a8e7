"""The one list envelope, page/per_page limits and opaque keyset cursors."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from pydantic import Field, field_validator

from backend.common.validation import QuerySchema
from backend.errors import ValidationFailed

MAX_PER_PAGE = 100


class PageQuery(QuerySchema):
    """page/per_page (a larger per_page is capped at 100) and an optional keyset cursor."""

    page: int = Field(1, ge=1, le=1_000_000)
    per_page: int = Field(20, ge=1)
    cursor: str | None = Field(None, max_length=512)

    @field_validator("per_page")
    @classmethod
    def _cap(cls, value: int) -> int:
        return min(value, MAX_PER_PAGE)


def envelope(items: list[Any], page: int | None, per_page: int, total: int, next_cursor: str | None) -> dict:
    """{"items", "page", "per_page", "total", "next_cursor"}."""
    return {"items": items, "page": page, "per_page": per_page, "total": total, "next_cursor": next_cursor}


def encode_cursor(sort: str, values: list[Any]) -> str:
    """An opaque cursor holding the sort name and the last row's key values."""
    return base64.urlsafe_b64encode(orjson.dumps([sort, *values])).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, arity: int) -> list[Any]:
    """Key values from a cursor made for the same sort; anything else is a 422 on `cursor`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, orjson.JSONDecodeError):
        data = None
    if not isinstance(data, list) or len(data) != arity + 1 or data[0] != sort:
        raise invalid_cursor()
    return data[1:]


def invalid_cursor() -> ValidationFailed:
    """The 422 for a cursor that was not made by us for this listing."""
    return ValidationFailed("query string is invalid",
                            {"location": "query", "fields": {"cursor": "invalid cursor for this listing"}})
