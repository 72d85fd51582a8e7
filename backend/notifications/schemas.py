"""Notifications request/response schemas (they also document the OpenAPI operations)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from backend.common.pagination import PageQuery
from backend.common.validation import BodySchema
from backend.notifications.models import NotificationType


class NotificationListQuery(PageQuery):
    """Cursor pages, unread first then read, newest first in each (`page` is ignored: cursors only)."""

    unread: bool | None = Field(None, description="true: only unread; false: only read; absent: both")


class NotificationOut(BaseModel):
    """One notification."""

    id: int
    type: NotificationType
    title: str
    body: str
    data: dict[str, Any]
    read: bool
    read_at: dt.datetime | None
    created_at: dt.datetime


class NotificationPage(BaseModel):
    """The list envelope of notifications."""

    items: list[NotificationOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None


class UnreadCount(BaseModel):
    """How many notifications the user has not read."""

    unread: int


class ReadAllOut(BaseModel):
    """How many notifications were marked read."""

    updated: int


class PreferencesIn(BodySchema):
    """A user's choices (the whole set: PUT replaces it)."""

    disabled_types: list[NotificationType] = Field(default_factory=list, max_length=len(NotificationType),
                                                   description="types that are not stored for this user")
    email: bool = Field(False, description="also email each notification (when the server can send mail)")


class PreferencesOut(BaseModel):
    """A user's choices, and whether this server can send email at all."""

    disabled_types: list[NotificationType]
    email: bool
    email_available: bool


class StreamUrlOut(BaseModel):
    """Where to stream the user's notifications (a signed URL, valid for `expires_in` seconds)."""

    stream_url: str
    expires_in: int


class BroadcastIn(BodySchema):
    """An announcement (or an alert) to every account or every admin."""

    audience: Literal["admins", "everyone"]
    title: str = Field(min_length=1, max_length=200)
    body: str = Field("", max_length=2000)
