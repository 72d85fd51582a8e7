"""Admin HTTP layer (admin role only): parse -> call a service -> serialise."""

from __future__ import annotations

from backend.admin import bp, services
from backend.admin.schemas import OptimizeOut, PerformanceOut, SlowQueryListQuery, SlowQueryPage
from backend.common.api import api_route

ADMIN = ("admin",)


@api_route(bp, "/db/slow-queries", summary="Statements above SLOW_QUERY_MS with plans, every worker merged",
           query=SlowQueryListQuery, response=SlowQueryPage, roles=ADMIN)
def slow_queries(query: SlowQueryListQuery):
    return services.slow_queries(**query.model_dump())


@api_route(bp, "/db/performance", summary="Pool status and waits, rows and indexes per table, DB cost per endpoint",
           response=PerformanceOut, roles=ADMIN)
def performance():
    return services.performance()


@api_route(bp, "/db/optimize", "POST", summary="ANALYZE (PRAGMA optimize on SQLite) and missing-index hints",
           response=OptimizeOut, roles=ADMIN)
def optimize():
    return services.optimize()
