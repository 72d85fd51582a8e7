"""Export request/response schemas (they are the OpenAPI)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from backend.common.validation import BodySchema
from backend.exports.models import ExportStatus


class ExportIn(BodySchema):
    """What to export: a registered kind and its params (validated by that kind's schema)."""

    kind: str = Field(min_length=1, max_length=40, description="booking_receipt, my_bookings, "
                      "chef_monthly_statement, admin_kpi_report (or any kind registered later)")
    params: dict[str, Any] = Field(default_factory=dict, description="The kind's params, e.g. {booking_id} or "
                                   "{from, to} or {month: YYYY-MM}")


class ExportError(BaseModel):
    """Why an export failed."""

    code: str
    message: str


class ExportOut(BaseModel):
    """An export as its owner sees it."""

    id: int
    kind: str
    status: ExportStatus
    params: dict[str, Any]
    progress: int
    message: str | None
    error: ExportError | None
    job_id: str | None
    filename: str | None
    content_type: str | None
    size: int | None
    rows: int | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    expires_at: dt.datetime | None
    status_url: str
    download_url: str | None


class ExportAccepted(ExportOut):
    """The 202 answer: the export, and the job's live progress stream."""

    stream_url: str
