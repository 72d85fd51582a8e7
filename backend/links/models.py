"""Link analyzer tables: analyses by URL hash, analysed media by content hash, costs and savings.

Metadata and AI analysis of a link expire separately (`expires_at` / `ai_expires_at`), so a
metadata refresh reuses a still-fresh AI analysis. Media are keyed by the SHA-256 of their bytes:
the same image behind two URLs is analysed once.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.models import created_at_column, one_of
from backend.extensions import db

JsonColumn = JSON().with_variant(JSONB(), "postgresql")


class Platform(StrEnum):
    """Where a link points (detected from its host)."""

    YOUTUBE = "youtube"
    INSTAGRAM = "instagram"
    TIKTOK = "tiktok"
    BLOG = "blog"
    GENERIC = "generic"


class AIStatus(StrEnum):
    """What became of the AI part: done, unavailable (no key configured) or failed (provider error)."""

    DONE = "done"
    UNAVAILABLE = "unavailable"
    FAILED = "failed"


class SavedBy(StrEnum):
    """Why a model call was not made, against one call per medium of every analysis."""

    CACHE = "cache"
    BATCHING = "batching"
    DEDUPE = "dedupe"


class LinkAnalysis(db.Model):
    """One normalised URL: its metadata, media and AI analysis, each with its own expiry.

    A row with `meta` NULL is a placeholder holding only the in-flight job (`job_id`).
    """

    __tablename__ = "link_analyses"

    url_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text, nullable=False)  # the normalised URL
    platform: Mapped[str] = mapped_column(String(12), nullable=False)
    meta: Mapped[Any | None] = mapped_column(JsonColumn)
    media: Mapped[Any | None] = mapped_column(JsonColumn)  # [{url, content_hash, mime_type, bytes}]
    fetched_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ai_analysis: Mapped[Any | None] = mapped_column(JsonColumn)
    ai_status: Mapped[str | None] = mapped_column(String(12))
    ai_model: Mapped[str | None] = mapped_column(String(64))
    ai_error: Mapped[str | None] = mapped_column(String(64))
    ai_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    job_id: Mapped[str | None] = mapped_column(String(36))  # the last job started for it
    job_claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint(one_of("platform", Platform), name="platform_valid"),
        CheckConstraint(f"ai_status IS NULL OR {one_of('ai_status', AIStatus)}", name="ai_status_valid"),
        Index("ix_link_analyses_expires", "expires_at"),  # cache size: rows still fresh
    )


class LinkMedium(db.Model):
    """One medium analysed by the model, whatever URL it came from."""

    __tablename__ = "link_media"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the bytes
    mime_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    analysis: Mapped[Any] = mapped_column(JsonColumn, nullable=False)
    model: Mapped[str] = mapped_column(String(64), nullable=False)
    analysed_at: Mapped[dt.datetime] = created_at_column()


class LinkCost(db.Model):
    """One model call: when, which model, for which link, how many media, tokens and price."""

    __tablename__ = "link_costs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = created_at_column()
    model: Mapped[str] = mapped_column(String(64), nullable=False)
    url_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # no FK: costs outlive the cache
    media: Mapped[int] = mapped_column(Integer, nullable=False)
    input_tokens: Mapped[int] = mapped_column(Integer, nullable=False)
    output_tokens: Mapped[int] = mapped_column(Integer, nullable=False)
    cost_usd: Mapped[float] = mapped_column(Float, nullable=False)

    __table_args__ = (
        Index("ix_link_costs_at", "at"),
        Index("ix_link_costs_url_hash", "url_hash"),
    )


class LinkSaving(db.Model):
    """Model calls not made, per day and reason (batching, dedupe; cache hits are counted host-wide)."""

    __tablename__ = "link_savings"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(12), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (CheckConstraint(one_of("reason", SavedBy), name="reason_valid"),)


class LinkRequest(db.Model):
    """Who joined an analysis job (its owner started it; others shared it and may read its status)."""

    __tablename__ = "link_requests"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
