"""Column helpers shared by the domain models."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> dt.datetime:
    """Timezone-aware now in UTC (stored as naive UTC on SQLite, timestamptz-free on PostgreSQL)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def created_at_column() -> Mapped[dt.datetime]:
    """A `created_at` column filled at insert."""
    return mapped_column(DateTime, default=utcnow, nullable=False)
