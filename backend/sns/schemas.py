"""SNS automation request/response schemas (they also document the OpenAPI operations)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field, HttpUrl, field_validator

from backend.common.pagination import PageQuery
from backend.common.validation import BodySchema, DbInt, PatchSchema
from backend.sns.models import Platform, PostStatus, PublishedVia

MAX_MEDIA = 10
MAX_CONTENT = 5000
MAX_AHEAD = dt.timedelta(days=366)  # a schedule further out is almost certainly a typo


def utc_naive(value: dt.datetime) -> dt.datetime:
    """Stored times are naive UTC: an aware time is converted, a naive one is taken as UTC."""
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


class AccountIn(BodySchema):
    """Connect an account: the credential is stored encrypted and never returned."""

    platform: Platform
    handle: str = Field(min_length=1, max_length=100, pattern=r"^[^\s]+$")
    credential: str = Field(min_length=1, max_length=4000, description="the platform token; write-only")


class AccountOut(BaseModel):
    """An account as its owner sees it (the credential stays on the server)."""

    id: int
    platform: Platform
    handle: str
    has_credential: bool
    created_at: dt.datetime


class AccountPage(BaseModel):
    """The list envelope of accounts."""

    items: list[AccountOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None


def bounded_time(value: dt.datetime | None) -> dt.datetime | None:
    """A schedule as naive UTC, refused when more than a year ahead (past years overflow nothing)."""
    if value is None:
        return None
    try:
        value = utc_naive(value)
    except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC form
        raise ValueError("out of range") from None
    if value > dt.datetime.now(dt.UTC).replace(tzinfo=None) + MAX_AHEAD:
        raise ValueError("must be within a year from now")
    return value


class Schedule(BodySchema):
    """When to publish (UTC when no offset is given; a past time means at the next publisher run)."""

    scheduled_at: dt.datetime

    _bounded = field_validator("scheduled_at")(bounded_time)


class PostIn(BodySchema):
    """A new post: a draft, or scheduled when `scheduled_at` is given."""

    account_id: DbInt
    content: str = Field(min_length=1, max_length=MAX_CONTENT)
    media: list[HttpUrl] = Field(default_factory=list, max_length=MAX_MEDIA)
    scheduled_at: dt.datetime | None = None

    _bounded = field_validator("scheduled_at")(bounded_time)


class PostPatch(PatchSchema):
    """Change a post that is not published (nor being published right now)."""

    account_id: DbInt | None = None
    content: str | None = Field(None, min_length=1, max_length=MAX_CONTENT)
    media: list[HttpUrl] | None = Field(None, max_length=MAX_MEDIA)


class PostListQuery(PageQuery):
    """Cursor pages, newest first (`page` is ignored: cursors only), optionally by status and account."""

    status: PostStatus | None = None
    account_id: DbInt | None = None


class PostOut(BaseModel):
    """A post and what became of it."""

    id: int
    account_id: int
    content: str
    media: list[str]
    status: PostStatus
    scheduled_at: dt.datetime | None
    published_at: dt.datetime | None
    published_via: PublishedVia | None = Field(description="webhook: sent to SNS_WEBHOOK_BASE_URL; local: no "
                                                           "publisher configured, nothing was sent")
    external_id: str | None
    error: str | None = Field(description="why the last attempt failed")
    attempts: int
    created_at: dt.datetime
    updated_at: dt.datetime


class PostPage(BaseModel):
    """The list envelope of posts."""

    items: list[PostOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None
