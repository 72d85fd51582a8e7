"""Exports: one row per requested file (who, which kind, with which params), filled in by its job.

A row is created `queued` by the request, turned `running` and then `ready` (with the stored
file's name, size and type) or `failed` by the `exports.render` job, and `expired` by the
retention purge once its file is deleted (EXPORTS_RETENTION_HOURS after it was ready). The file
itself lives under EXPORTS_DIR (see backend/exports/storage.py), never in the database.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.models import created_at_column, one_of
from backend.extensions import db
from backend.jobs.models import JsonColumn


class ExportStatus(StrEnum):
    """Where an export is; `ready` has a file, `expired` had one."""

    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"
    EXPIRED = "expired"


READY_ROWS = "status = 'ready'"


class Export(db.Model):
    """One export of one user."""

    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)  # a registered kind (backend/exports/kinds.py)
    params: Mapped[Any] = mapped_column(JsonColumn, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=ExportStatus.QUEUED.value)
    job_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("jobs.id", ondelete="SET NULL"))
    filename: Mapped[str | None] = mapped_column(String(200))  # what the download is called (may be non-ASCII)
    stored_name: Mapped[str | None] = mapped_column(String(80))  # the file under EXPORTS_DIR
    content_type: Mapped[str | None] = mapped_column(String(80))
    size: Mapped[int | None] = mapped_column(BigInteger)
    rows: Mapped[int | None] = mapped_column(Integer)  # data rows rendered (a kind's own measure)
    error_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = created_at_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint(one_of("status", ExportStatus), name="status_valid"),
        Index("ix_exports_user_created", "user_id", "created_at", "id"),  # my exports, newest first (dashboard)
        # The retention purge: ready rows by expiry, and nothing else in the index.
        Index("ix_exports_ready_expires", "expires_at", sqlite_where=text(READY_ROWS),
              postgresql_where=text(READY_ROWS)),
        Index("ix_exports_job", "job_id"),  # SET NULL on job purge looks rows up by job
    )
