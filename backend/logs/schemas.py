"""Request and response schemas of the log store's admin API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from backend.common.pagination import MAX_PER_PAGE
from backend.common.validation import BodySchema, QuerySchema

Level = Literal["debug", "info", "warning", "error", "critical"]
Bucket = Literal["minute", "hour", "day"]
MIN_TIME = dt.datetime(2000, 1, 1)
MAX_TIME = dt.datetime(9000, 1, 1)


def _naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    """Stored times are naive UTC: an aware value is converted, anything off the calendar refused."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    if not MIN_TIME <= value <= MAX_TIME:
        raise ValueError("must be between 2000-01-01 and 9000-01-01")
    return value


class _WindowFields(BaseModel):
    since: dt.datetime | None = Field(None, description="ISO 8601; naive times are UTC")
    until: dt.datetime | None = Field(None, description="ISO 8601, exclusive")

    @field_validator("since", "until")
    @classmethod
    def _times(cls, value: dt.datetime | None) -> dt.datetime | None:
        return _naive_utc(value)


class _Window(_WindowFields, QuerySchema):
    pass


class _FilterFields(_WindowFields):
    q: str | None = Field(None, min_length=1, max_length=200,
                          description="case-insensitive substring of the message")
    level: Level | None = None
    request_id: str | None = Field(None, max_length=128)
    path: str | None = Field(None, max_length=300, description="exact request path, e.g. /api/v1/coocook/chefs")


class LogSearchQuery(_FilterFields, QuerySchema):
    """Filters of a search; newest first, keyset pages (`cursor` from the previous page)."""

    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE)
    cursor: str | None = Field(None, max_length=512)


class LogExportFilters(_FilterFields, BodySchema):
    """The lines to export: the search's filters (all optional; none exports every stored line)."""


class LogExportIn(LogExportFilters):
    """A log export: the search's filters and the file format."""

    format: Literal["ndjson", "csv"] = "ndjson"


class LogEntryOut(BaseModel):
    """One stored (masked) log line."""

    id: int
    created_at: dt.datetime
    level: str
    logger: str
    message: str
    request_id: str | None
    method: str | None
    path: str | None
    status: int | None
    duration_ms: float | None
    user_id: int | None
    error_type: str | None
    data: dict[str, Any]


class LogPage(BaseModel):
    """The list envelope; `total` counts at most TOTAL_CAP rows (`total_capped` says it stopped there)."""

    items: list[LogEntryOut]
    page: int | None
    per_page: int
    total: int
    total_capped: bool
    next_cursor: str | None


class LogAnalyticsQuery(_Window):
    """The window (default: the last 24 hours) and the width of the time buckets."""

    bucket: Bucket = "hour"


class Count(BaseModel):
    """A key and how many lines had it."""

    key: str | int | None
    count: int


class EndpointCount(BaseModel):
    """Stored lines of one method and path: how many, server errors among them, mean duration."""

    method: str | None
    path: str | None
    count: int
    errors: int
    avg_duration_ms: float | None


class BucketCount(BaseModel):
    """Lines of one level in one time bucket."""

    bucket: str
    level: str
    count: int


class TopError(BaseModel):
    """One kind of error (type and message), how often, when last, and one request id to look up."""

    error_type: str | None
    message: str
    count: int
    last_seen: dt.datetime
    request_id: str | None


class LogAnalyticsOut(BaseModel):
    """Counts over the window: by level, endpoint, status and time bucket; the most frequent errors."""

    since: dt.datetime
    until: dt.datetime
    bucket: Bucket
    by_level: list[Count]
    by_endpoint: list[EndpointCount]
    by_status: list[Count]
    by_time: list[BucketCount]
    top_errors: list[TopError]
