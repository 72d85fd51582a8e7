"""The stored keys: one row per (user, key), claimed before the view runs, completed after it."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.models import created_at_column, one_of
from backend.extensions import db


class KeyStatus(StrEnum):
    """A key is claimed while its request runs, then holds the response."""

    IN_PROGRESS = "in_progress"
    DONE = "done"


class IdempotencyKey(db.Model):
    """A user's Idempotency-Key with the request it was used for and, once done, the response."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=KeyStatus.IN_PROGRESS.value)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    content_type: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = created_at_column()
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)

    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),
        CheckConstraint(one_of("status", KeyStatus), name="status_valid"),
        Index("ix_idempotency_keys_expires_at", "expires_at"),  # the purge
    )
