"""API keys: stored as a lookup prefix and a SHA-256 of the secret part only (the key is shown once)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.models import created_at_column
from backend.extensions import db


class Scope(StrEnum):
    """What a key may do: read = GET only, write = state-changing, admin = admin-only routes."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class ApiKey(db.Model):
    """One key of one account. Live while not revoked and not past `expires_at` (set by rotation)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)  # the indexed lookup
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # SHA-256 hex of the secret part
    scope_read: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    scope_write: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    scope_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[dt.datetime] = created_at_column()
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # end of a rotation's grace period
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(Integer)  # the key a rotation issued in its place

    __table_args__ = (Index("ix_api_keys_user_id_id", "user_id", "id"),)  # the owner's list, newest first
