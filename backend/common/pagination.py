"""The one list envelope, page/per_page limits and opaque keyset cursors.

A cursor is client input like any other: it is decoded, then each value is checked against the
kind its listing expects (`cursor_id`, `cursor_number`, `cursor_datetime`), so `true` where an id
belongs, a string where a float belongs or an id past the column range is a 422 on `cursor`,
never a driver error.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from pydantic import Field, field_validator

from backend.common.validation import DB_INT_MAX, QuerySchema
from backend.errors import ValidationFailed

MAX_PER_PAGE = 100
# Sort values in cursors are ratings and prices (Numeric(10, 2)); anything past this is not ours.
CURSOR_NUMBER_MAX = 1e12
CursorKind = Callable[[Any], Any]


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


def cursor_id(value: Any) -> int:
    """A row id in a cursor: an int (not a bool) in the column range."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= DB_INT_MAX:
        return value
    raise ValueError("not an id")


def cursor_number(value: Any) -> float | int:
    """A numeric sort value in a cursor: finite, not a bool, within what our columns hold."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
            and abs(value) <= CURSOR_NUMBER_MAX:
        return value
    raise ValueError("not a number")


def cursor_datetime(value: Any) -> dt.datetime:
    """A timestamp sort value in a cursor (ISO 8601 text, as `encode_cursor` writes it)."""
    if isinstance(value, str) and len(value) <= 40:
        return dt.datetime.fromisoformat(value)
    raise ValueError("not a timestamp")


def decode_cursor(cursor: str, sort: str, kinds: int | Sequence[CursorKind]) -> list[Any]:
    """Key values from a cursor made for the same sort; anything else is a 422 on `cursor`.

    `kinds` gives one checker per value (each returns the value to bind or raises ValueError);
    a bare count checks only the shape (callers that check types themselves).
    """
    arity = kinds if isinstance(kinds, int) else len(kinds)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, orjson.JSONDecodeError):
        data = None
    if not isinstance(data, list) or len(data) != arity + 1 or data[0] != sort:
        raise invalid_cursor()
    if isinstance(kinds, int):
        return data[1:]
    try:
        return [check(value) for check, value in zip(kinds, data[1:], strict=True)]
    except (TypeError, ValueError, OverflowError):
        raise invalid_cursor() from None


def invalid_cursor() -> ValidationFailed:
    """The 422 for a cursor that was not made by us for this listing."""
    return ValidationFailed("query string is invalid",
                            {"location": "query", "fields": {"cursor": "invalid cursor for this listing"}})
