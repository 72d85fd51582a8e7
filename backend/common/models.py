"""Column helpers shared by the domain models."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import DateTime
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> dt.datetime:
    """Now in UTC, as a *naive* datetime.

    The columns are `DateTime` without time zone on both databases and every stored time is UTC
    (the JSON provider writes naive datetimes with a Z).
    """
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def created_at_column() -> Mapped[dt.datetime]:
    """A `created_at` column filled at insert."""
    return mapped_column(DateTime, default=utcnow, nullable=False)


def one_of(column: str, vocabulary: type[StrEnum]) -> str:
    """A CHECK constraint's SQL: `column` holds one of the enum's values."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in vocabulary)})"
