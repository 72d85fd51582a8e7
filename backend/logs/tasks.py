"""The log store's retention: lines older than LOG_RETENTION_DAYS are deleted, in short batches."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import delete, select

from backend.common.models import utcnow
from backend.database import write_transaction
from backend.extensions import db
from backend.jobs.registry import periodic
from backend.logs.models import LogEntry

BATCH = 5000  # short write transactions: a large backlog never holds the write lock for long


@periodic("logs.purge", minute="23")
def purge_old(days: int | None = None) -> int:
    """Delete stored log lines older than `days` (LOG_RETENTION_DAYS); returns how many went."""
    keep = days if days is not None else current_app.config["LOG_RETENTION_DAYS"]
    before = utcnow() - dt.timedelta(days=keep)
    removed = 0
    while True:
        with write_transaction(db.session) as tx:
            ids = select(LogEntry.id).where(LogEntry.created_at < before).order_by(LogEntry.created_at).limit(BATCH)
            count = tx.execute(delete(LogEntry).where(LogEntry.id.in_(ids))).rowcount
        removed += count
        if count < BATCH:
            return removed
