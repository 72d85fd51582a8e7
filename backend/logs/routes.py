"""Log store HTTP layer (admin only): parse -> call a service -> serialise.

`POST /admin/logs/export` hands the filters to the generic export job (backend/logs/export.py
registers the kinds): the answer is the export, followed and downloaded under /api/v1/exports.
"""

from __future__ import annotations

from backend.common.actor import current_actor
from backend.common.api import api_route
from backend.exports import services as exports
from backend.exports.schemas import ExportAccepted
from backend.logs import bp, services
from backend.logs.schemas import LogAnalyticsOut, LogAnalyticsQuery, LogExportIn, LogPage, LogSearchQuery

ADMIN = ("admin",)


@api_route(bp, "/search", summary="Stored warnings, errors and sampled request lines, newest first (keyset pages)",
           query=LogSearchQuery, response=LogPage, roles=ADMIN)
def search(query: LogSearchQuery):
    return services.search(**query.model_dump())


@api_route(bp, "/analytics", summary="Log counts by level, endpoint, status and time bucket; top errors",
           query=LogAnalyticsQuery, response=LogAnalyticsOut, roles=ADMIN)
def analytics(query: LogAnalyticsQuery):
    return services.analytics(**query.model_dump())


@api_route(bp, "/export", "POST", summary="Export the lines matching the search filters as NDJSON or CSV (a job; 202)",
           body=LogExportIn, response=ExportAccepted, status=202, roles=ADMIN, headers={"Cache-Control": "no-store"})
def export(body: LogExportIn):
    filters = body.model_dump(mode="json", exclude={"format"}, exclude_none=True)
    accepted = exports.create_export(current_actor(), f"logs_{body.format}", filters)
    return accepted, {"Location": accepted["status_url"]}
