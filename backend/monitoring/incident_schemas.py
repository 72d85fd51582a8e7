"""Request and response schemas of the incidents API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from backend.common.validation import BodySchema, DbInt, PatchSchema
from backend.monitoring.models import IncidentStatus, Severity
from backend.monitoring.schemas import Page


class IncidentIn(BodySchema):
    """A new incident."""

    title: str = Field(min_length=1, max_length=200)
    severity: Severity = Severity.WARNING
    alert_ids: list[DbInt] = Field(default_factory=list, max_length=50)
    note: str = Field("", max_length=2000)


class IncidentPatch(PatchSchema):
    """A status change and/or a note and/or more linked alerts (each is a timeline event)."""

    status: IncidentStatus | None = None
    note: str | None = Field(None, max_length=2000)
    alert_ids: list[DbInt] | None = Field(None, max_length=50)


class IncidentEventOut(BaseModel):
    """One timeline entry."""

    id: int
    type: str
    message: str
    data: dict[str, Any]
    actor_id: int | None
    created_at: dt.datetime


class IncidentOut(BaseModel):
    """An incident with its linked alert ids and timeline."""

    id: int
    title: str
    severity: Severity
    status: IncidentStatus
    created_by: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    resolved_at: dt.datetime | None
    alert_ids: list[int]
    timeline: list[IncidentEventOut]


class IncidentSummary(BaseModel):
    """An incident in a list (no timeline)."""

    id: int
    title: str
    severity: Severity
    status: IncidentStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    resolved_at: dt.datetime | None
    alert_count: int


class IncidentQuery(Page):
    """Incident list filters."""

    status: IncidentStatus | None = None


class IncidentPage(BaseModel):
    """The list envelope of incidents."""

    items: list[IncidentSummary]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None
