"""GET /health (no database) and GET /health/ready (database reachable and migrated to head)."""

from __future__ import annotations

from pydantic import BaseModel

from backend.common.api import api_route
from backend.errors import ServiceUnavailable
from backend.health import bp, services


class HealthOut(BaseModel):
    """Liveness/readiness."""

    status: str
    database: str | None = None


@api_route(bp, "", summary="Liveness: the process answers (touches no database)", response=HealthOut)
def health():
    return {"status": "ok"}


@api_route(bp, "/ready", summary="Readiness: the database answers and its schema is at the migrations' head",
           response=HealthOut, errors=[503])
def ready():
    if services.draining():  # the load balancer takes this host out before it stops
        raise ServiceUnavailable("not ready: draining for shutdown", {"reason": "draining"}, code="draining")
    ok, detail = services.database_ready()
    if not ok:
        raise ServiceUnavailable(f"not ready: {detail}", {"reason": detail}, code="database_unavailable")
    return {"status": "ok", "database": detail}
