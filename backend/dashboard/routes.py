"""Dashboard HTTP layer: the signed-in account's dashboard and the admin KPIs, as private cached bytes."""

from __future__ import annotations

from flask import Response

from backend.common.actor import ROLES, Role, current_actor
from backend.common.api import api_route
from backend.common.models import utcnow
from backend.dashboard import bp, kpis, services
from backend.dashboard.cache import cached_body
from backend.dashboard.schemas import AdminDashboardOut, DashboardOut, PeriodQuery

PRIVATE = "private, no-cache"  # per-user: no shared cache may keep it


def _private(body: bytes) -> Response:
    response = Response(body, mimetype="application/json")
    response.headers["Cache-Control"] = PRIVATE
    return response


@api_route(bp, "", summary="My dashboard: bookings, spending, notifications, sessions, exports (+ chef part)",
           response=DashboardOut, roles=ROLES)
def my_dashboard():
    actor = current_actor()
    return _private(cached_body("me", actor.id, "", lambda: services.dashboard(actor)))


@api_route(bp, "/admin", summary="Platform KPIs for a period (admin): bookings, revenue, conversion, new users",
           query=PeriodQuery, response=AdminDashboardOut, roles=[Role.ADMIN])
def admin_dashboard(query: PeriodQuery):
    start, end = query.bounds(utcnow().date())
    return _private(cached_body("admin", current_actor().id, f"{start}:{end}", lambda: kpis.period_kpis(start, end)))
