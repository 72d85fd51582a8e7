"""Chefs, bookings and reviews, with the indexes their queries use.

Invariants held by the database, not by Python:
- one live (not cancelled) booking per chef, date and slot: a partial unique index;
- one review per booking: a unique constraint.
`booking_count` (live bookings) and `rating`/`rating_count` are denormalised and kept exact in the
same transaction as the write that changes them. On PostgreSQL the number of active chefs is kept
in `chef_counters` by triggers (migration 0005), also in the writing transaction.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.models import created_at_column, one_of, utcnow
from backend.extensions import db


class Slot(StrEnum):
    """The two sittings a chef can be booked for on a date."""

    LUNCH = "lunch"
    DINNER = "dinner"


class BookingStatus(StrEnum):
    """A booking's lifecycle: pending -> confirmed -> completed; pending/confirmed -> cancelled."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


LIVE = f"status <> '{BookingStatus.CANCELLED}'"


class Chef(db.Model):
    """A chef's public profile; a chef account owns at most one."""

    __tablename__ = "chefs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    bio: Mapped[str] = mapped_column(Text, nullable=False, default="")
    cuisine_type: Mapped[str] = mapped_column(String(60), nullable=False)
    location: Mapped[str] = mapped_column(String(120), nullable=False)
    price_per_session: Mapped[float] = mapped_column(Numeric(10, 2, asdecimal=False), nullable=False)
    rating: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    rating_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    booking_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[dt.datetime] = created_at_column()
    # The profile picture: an image asset of the chef's account (backend/assets/references.py).
    avatar_asset_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("assets.id", ondelete="SET NULL"))

    __table_args__ = (
        Index("ix_chefs_avatar_asset_id", "avatar_asset_id"),  # the FK's SET NULL on asset delete
        CheckConstraint("price_per_session >= 0", name="price_non_negative"),
        CheckConstraint("rating >= 0 AND rating <= 5", name="rating_range"),
        # Listing: active chefs, by each sort, keyset on (sort column, id).
        Index("ix_chefs_active_rating", "is_active", "rating", "id"),
        Index("ix_chefs_active_price", "is_active", "price_per_session", "id"),
        Index("ix_chefs_active_created", "is_active", "created_at", "id"),
        # Case-insensitive filters, then the default sort.
        Index("ix_chefs_cuisine_lower", func.lower(text("cuisine_type")), "rating", "id"),
        Index("ix_chefs_location_lower", func.lower(text("location")), "rating", "id"),
    )


class Booking(db.Model):
    """A user's booking of a chef for one date and slot."""

    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    chef_id: Mapped[int] = mapped_column(ForeignKey("chefs.id", ondelete="CASCADE"), nullable=False)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    slot: Mapped[str] = mapped_column(String(10), nullable=False)
    guests: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=BookingStatus.PENDING.value)
    price: Mapped[float] = mapped_column(Numeric(10, 2, asdecimal=False), nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(one_of("slot", Slot), name="slot_valid"),
        CheckConstraint(one_of("status", BookingStatus), name="status_valid"),
        CheckConstraint("guests >= 1 AND guests <= 50", name="guests_range"),
        Index("uq_bookings_live_slot", "chef_id", "date", "slot", unique=True,
              sqlite_where=text(LIVE), postgresql_where=text(LIVE)),
        Index("ix_bookings_user_id_id", "user_id", "id"),
        Index("ix_bookings_chef_id_id", "chef_id", "id"),
    )


class Review(db.Model):
    """A rating (1-5) and comment on a completed booking, by the booking's user."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), unique=True,
                                            nullable=False)
    chef_id: Mapped[int] = mapped_column(ForeignKey("chefs.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    rating: Mapped[int] = mapped_column(Integer, nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),
        Index("ix_reviews_chef_created", "chef_id", "created_at", "id"),
    )


class ChefCounter(db.Model):
    """Maintained chef totals (one row, id 1), kept exact by PostgreSQL triggers on `chefs`.

    The chef list's unfiltered `total` reads `active` instead of counting ~10k index entries per
    request (~0.8 ms of the PostgreSQL backend for SCALE=large). Triggers (migration 0005) add the
    active rows of each INSERT and subtract those of each DELETE (per statement, from the transition
    table, so a bulk COPY is one update), follow `UPDATE OF is_active` per changed row, and empty the
    table on TRUNCATE of chefs (no row triggers fire then); a missing row reads as 0. Row triggers
    skip updates that do not name is_active (the booking path's booking_count updates pay nothing).
    On SQLite the table exists but stays empty and unread: SQLite's count is already O(1) there.
    """

    __tablename__ = "chef_counters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    active: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
