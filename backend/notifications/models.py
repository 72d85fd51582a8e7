"""Notifications (what happened that a user should know about) and each user's preferences.

Reads are "a user's unread first, then read, newest first within each", so there are two indexes:
`(user_id, id)` for all of a user's rows (the read part of a page, the total, the event server's
newest-id probe) and a partial `(user_id, id) WHERE read_at IS NULL` that holds only unread rows
(the unread part of a page and the unread count touch nothing else, however much history a user has).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.models import created_at_column, one_of
from backend.extensions import db
from backend.jobs.models import JsonColumn

UNREAD = "read_at IS NULL"


class NotificationType(StrEnum):
    """What a notification is about (also what a user can turn off)."""

    BOOKING_CREATED = "booking_created"
    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_CANCELLED = "booking_cancelled"
    BOOKING_COMPLETED = "booking_completed"
    REVIEW_RECEIVED = "review_received"
    SESSION_READY = "session_ready"
    EXPORT_READY = "export_ready"  # emitted by exports when they land (issue 10 section 3)
    PASSWORD_CHANGED = "password_changed"
    API_KEY_CHANGED = "api_key_changed"  # emitted by the API-key feature when it lands
    ADMIN_ALERT = "admin_alert"
    ANNOUNCEMENT = "announcement"


class Notification(db.Model):
    """One notification of one user."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    data: Mapped[Any] = mapped_column(JsonColumn, nullable=False, default=dict)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint(one_of("type", NotificationType), name="type_valid"),
        Index("ix_notifications_user_id_id", "user_id", "id"),
        Index("ix_notifications_user_unread", "user_id", "id", sqlite_where=text(UNREAD),
              postgresql_where=text(UNREAD)),
    )


class NotificationPreference(db.Model):
    """A user's choices; no row means the defaults (every type on, no email).

    Turned-off types are stored rather than turned-on ones, so a type added later is on by default.
    """

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    disabled_types: Mapped[Any] = mapped_column(JsonColumn, nullable=False, default=list)
    email: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    updated_at: Mapped[dt.datetime] = created_at_column()
