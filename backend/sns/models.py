"""SNS automation tables: accounts (credential encrypted at rest) and their posts.

A post's `next_attempt_at` is the one time the publisher looks at: the schedule when scheduled,
then the claim's lease while a worker publishes it, then the backoff after a transient failure.
The due-post query is `status = 'scheduled' AND next_attempt_at <= now`, served by the
(status, next_attempt_at) index (EXPLAIN-tested), which is also the issue's index on status.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.models import created_at_column, one_of, utcnow
from backend.common.secrets import register_encrypted
from backend.extensions import db

JsonColumn = JSON().with_variant(JSONB(), "postgresql")


class Platform(StrEnum):
    """Where an account posts (the webhook publisher passes it on; a native adapter may follow)."""

    X = "x"
    INSTAGRAM = "instagram"
    FACEBOOK = "facebook"
    THREADS = "threads"
    LINKEDIN = "linkedin"
    MASTODON = "mastodon"


class PostStatus(StrEnum):
    """A post's life: draft -> scheduled -> published | failed (a failed post may be rescheduled)."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    FAILED = "failed"


class PublishedVia(StrEnum):
    """What published a post: the configured webhook, or nothing (no publisher configured: not sent)."""

    WEBHOOK = "webhook"
    LOCAL = "local"


class SnsAccount(db.Model):
    """A user's account on a platform; `credential` holds a Fernet token (backend/common/secrets.py)."""

    __tablename__ = "sns_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    platform: Mapped[str] = mapped_column(String(16), nullable=False)
    handle: Mapped[str] = mapped_column(String(100), nullable=False)
    credential: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint(one_of("platform", Platform), name="platform_valid"),
        UniqueConstraint("owner_id", "platform", "handle"),
        Index("ix_sns_accounts_owner_id_id", "owner_id", "id"),  # the owner's list, newest first
    )


class SnsPost(db.Model):
    """A post of one account; `owner_id` is the account's owner, kept here so owner checks need no join."""

    __tablename__ = "sns_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("sns_accounts.id", ondelete="CASCADE"), nullable=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    media: Mapped[Any] = mapped_column(JsonColumn, nullable=False, default=list)  # [url, ...]
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=PostStatus.DRAFT.value)
    scheduled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32))  # the worker publishing it now
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=1)  # part of the idempotency key
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    published_via: Mapped[str | None] = mapped_column(String(12))
    external_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        CheckConstraint(one_of("status", PostStatus), name="status_valid"),
        CheckConstraint(f"published_via IS NULL OR {one_of('published_via', PublishedVia)}",
                        name="published_via_valid"),
        Index("ix_sns_posts_status_next_attempt_at", "status", "next_attempt_at"),  # due posts
        Index("ix_sns_posts_account_id_id", "account_id", "id"),  # an account's posts
        Index("ix_sns_posts_owner_id_id", "owner_id", "id"),  # the owner's posts, newest first
        Index("ix_sns_posts_owner_id_status_id", "owner_id", "status", "id"),  # ... with a status filter
    )


register_encrypted(SnsAccount.credential)
