"""The `jobs` table clients read (Huey has no progress API) and each job's progress events.

A job row is the truth: its status, progress, result or error, attempts and lease. The queue
(Huey) only carries job ids; a task that finds its row not `queued` does nothing, so a task that
runs twice (a re-enqueue after a lease expiry) does the work once.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.models import created_at_column, one_of
from backend.extensions import db

JsonColumn = JSON().with_variant(JSONB(), "postgresql")


class JobStatus(StrEnum):
    """Where a job is; the last three are final."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


class Priority(StrEnum):
    """What the consumer takes first; `QUEUE_PRIORITY` is the number the queue sorts on."""

    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


QUEUE_PRIORITY = {Priority.HIGH: 10, Priority.NORMAL: 0, Priority.LOW: -10}


class Job(db.Model):
    """One unit of background work and what it came to."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a uuid4, lower-case with hyphens
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=JobStatus.QUEUED.value)
    priority: Mapped[str] = mapped_column(String(8), nullable=False, default=Priority.NORMAL.value)
    progress: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0)
    message: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[Any] = mapped_column(JsonColumn, nullable=False)
    result: Mapped[Any | None] = mapped_column(JsonColumn)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # also the fencing token
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=3)
    last_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # seq of its newest event
    run_after: Mapped[dt.datetime | None] = mapped_column(DateTime)  # a retry's backoff ends here
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime)  # a running job's worker is alive until
    enqueued_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # last handed to the queue
    created_at: Mapped[dt.datetime] = created_at_column()
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint(one_of("status", JobStatus), name="status_valid"),
        CheckConstraint(one_of("priority", Priority), name="priority_valid"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
        Index("ix_jobs_owner_created", "owner_id", "created_at"),
        Index("ix_jobs_status_created", "status", "created_at"),  # admin lists, the reaper
        Index("ix_jobs_kind_created", "kind", "created_at"),
    )


class JobEvent(db.Model):
    """One progress event of a job: `seq` counts from 1 per job, in the order they were written."""

    __tablename__ = "job_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    type: Mapped[str] = mapped_column(String(40), nullable=False)
    data: Mapped[Any | None] = mapped_column(JsonColumn)
    at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (Index("uq_job_events_job_seq", "job_id", "seq", unique=True),)
