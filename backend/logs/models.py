"""The log store: warnings, errors and sampled request lines, kept queryable (backend/logs/buffer.py writes them).

Reads are "newest first, narrowed by time and one of level / request id / path / text", so:
- `(created_at, id)`: time windows and the cursor order of every search (newest first);
- `(level, created_at, id)`, `(path, created_at, id)`: a level or path filter seeks its own range
  in the same order, however many rows other levels or paths have;
- `(request_id)`: one request's lines (a handful of rows);
- `q` (a case-insensitive substring of the message) is an index search on both: PostgreSQL has a
  trigram GIN index on `message` (pg_trgm), SQLite an FTS5 table with the trigram tokenizer
  (`log_entries_fts`, kept by triggers; created by the migration, outside the metadata).
`user_id` has no foreign key: log lines outlive the accounts they mention.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, DateTime, Float, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.jobs.models import JsonColumn

ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite: INTEGER PRIMARY KEY is the rowid
LEVELS = ("debug", "info", "warning", "error", "critical")
MESSAGE_MAX = 2000
PATH_MAX = 300
FTS_TABLE = "log_entries_fts"  # SQLite only: FTS5 trigram index of `message` (migration 0014_logs)


class LogEntry(db.Model):
    """One stored log line (masked before it got here)."""

    __tablename__ = "log_entries"

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    level: Mapped[str] = mapped_column(String(10), nullable=False)
    logger: Mapped[str] = mapped_column(String(120), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    request_id: Mapped[str | None] = mapped_column(String(128))
    method: Mapped[str | None] = mapped_column(String(10))
    path: Mapped[str | None] = mapped_column(String(PATH_MAX))
    status: Mapped[int | None] = mapped_column(SmallInteger)
    duration_ms: Mapped[float | None] = mapped_column(Float)
    user_id: Mapped[int | None] = mapped_column(Integer)
    error_type: Mapped[str | None] = mapped_column(String(120))
    data: Mapped[Any] = mapped_column(JsonColumn, nullable=False, default=dict)

    __table_args__ = (
        Index("ix_log_entries_created_at_id", "created_at", "id"),
        Index("ix_log_entries_level_created_at_id", "level", "created_at", "id"),
        Index("ix_log_entries_path_created_at_id", "path", "created_at", "id"),
        Index("ix_log_entries_request_id", "request_id"),
        # SQLite's trigram index is the FTS5 table: there the name holds an empty partial index
        # (`WHERE 0`, nothing to maintain), so one schema serves both and `flask db check` stays clean.
        Index("ix_log_entries_message_trgm", "message", postgresql_using="gin",
              postgresql_ops={"message": "public.gin_trgm_ops"}, sqlite_where=text("0")),
    )
