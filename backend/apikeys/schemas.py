"""API key request/response schemas (they also document the OpenAPI operations)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from backend.apikeys.models import Scope
from backend.common.pagination import PageQuery
from backend.common.validation import BodySchema


class KeyIn(BodySchema):
    """A new key: a name to recognise it by and its scopes (read = GET, write = changes, admin = admin routes)."""

    name: str = Field(min_length=1, max_length=100)
    scopes: list[Scope] = Field(default_factory=lambda: [Scope.READ], min_length=1, max_length=3)


class KeyOut(BaseModel):
    """A key as listed: its public prefix, never its secret."""

    id: int
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: dt.datetime
    last_used_at: dt.datetime | None = Field(description="updated at most once per APIKEY_LAST_USED_SECONDS")
    expires_at: dt.datetime | None = Field(description="set when the key was rotated: end of its grace period")


class Replaced(BaseModel):
    """The key a rotation replaced, and until when it still works."""

    id: int
    prefix: str
    expires_at: dt.datetime


class NewKeyOut(KeyOut):
    """A key just issued: `key` is shown in this answer only (it is stored as a hash)."""

    key: str
    replaces: Replaced | None = None


class KeyListQuery(PageQuery):
    """Cursor pages, newest first (`page` is ignored: cursors only)."""


class KeyPage(BaseModel):
    """The list envelope of keys."""

    items: list[KeyOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None
