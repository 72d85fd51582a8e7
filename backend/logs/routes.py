"""Log store HTTP layer (admin only): parse -> call a service -> serialise.

`POST /admin/logs/export` (NDJSON/CSV as a job) is not here: it belongs to the generic export
mechanism being built for PDF exports (issue 8/9 clarification), which will list log search as a source.
"""

from __future__ import annotations

from backend.common.api import api_route
from backend.logs import bp, services
from backend.logs.schemas import LogAnalyticsOut, LogAnalyticsQuery, LogPage, LogSearchQuery

ADMIN = ("admin",)


@api_route(bp, "/search", summary="Stored warnings, errors and sampled request lines, newest first (keyset pages)",
           query=LogSearchQuery, response=LogPage, roles=ADMIN)
def search(query: LogSearchQuery):
    return services.search(**query.model_dump())


@api_route(bp, "/analytics", summary="Log counts by level, endpoint, status and time bucket; top errors",
           query=LogAnalyticsQuery, response=LogAnalyticsOut, roles=ADMIN)
def analytics(query: LogAnalyticsQuery):
    return services.analytics(**query.model_dump())
