"""Request and response schemas of the jobs API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from backend.common.pagination import MAX_PER_PAGE
from backend.common.validation import QuerySchema
from backend.jobs.models import JobStatus, Priority


class JobError(BaseModel):
    """Why a job failed (or its last attempt did)."""

    code: str
    message: str | None


class JobOut(BaseModel):
    """A job: status, progress, result or error, and where to follow it."""

    id: str
    kind: str
    status: JobStatus
    priority: Priority
    progress: int = Field(ge=0, le=100)
    message: str | None
    result: Any | None
    error: JobError | None
    attempts: int
    max_attempts: int
    owner_id: int | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    updated_at: dt.datetime
    status_url: str
    events_url: str
    stream_url: str = Field(description="text/event-stream or application/x-ndjson, with a short-lived token")


class JobPage(BaseModel):
    """The list envelope of jobs."""

    items: list[JobOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None


class JobListQuery(QuerySchema):
    """Admin listing filters."""

    status: JobStatus | None = None
    kind: str | None = Field(None, max_length=64)
    per_page: int = Field(20, ge=1, le=MAX_PER_PAGE)
    cursor: str | None = Field(None, max_length=512)


class EventsQuery(QuerySchema):
    """Events after a seq (0 = from the start)."""

    after: int = Field(0, ge=0, le=2**31 - 1)
    limit: int = Field(100, ge=1, le=500)


class EventOut(BaseModel):
    """One progress event."""

    seq: int
    type: str
    data: Any | None
    at: dt.datetime


class EventPage(BaseModel):
    """Events of a job; poll again with `after` until `done`."""

    items: list[EventOut]
    page: int | None
    per_page: int
    total: int = Field(description="events written so far")
    next_cursor: str | None
    status: JobStatus
    last_seq: int
    after: int = Field(description="pass as ?after= on the next poll")
    done: bool = Field(description="the job is final and every event has been read")
