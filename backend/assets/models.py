"""Image assets: one row per upload, its bytes stored content-addressed (by SHA-256) elsewhere.

The id is a random UUID: assets are public to whoever holds the id (avatars, campaign images
are shown to everyone), so the id must not be guessable or enumerable. Two uploads of the same
image share one stored blob and one set of variants (`content_hash`).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.models import created_at_column, one_of
from backend.extensions import db


class AssetFormat(StrEnum):
    """Stored formats (the validated upload's own; variants may be webp or jpeg)."""

    JPEG = "JPEG"
    PNG = "PNG"
    WEBP = "WEBP"


class Asset(db.Model):
    """An uploaded image: who owns it, what it is, where its bytes are (by hash)."""

    __tablename__ = "assets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid4, canonical text form
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # sha256 of the stored bytes
    format: Mapped[str] = mapped_column(String(8), nullable=False)
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)  # stored (clean) bytes
    filename: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint(one_of("format", AssetFormat), name="format_valid"),
        Index("ix_assets_owner_created", "owner_id", "created_at", "id"),  # an owner's assets, newest first
        Index("ix_assets_content_hash", "content_hash"),  # is this blob still used by another asset?
    )
