"""GET /health (no database) and GET /health/ready (database reachable)."""

from __future__ import annotations

from pydantic import BaseModel

from backend.common.api import api_route
from backend.health import bp, services


class HealthOut(BaseModel):
    """Liveness/readiness."""

    status: str
    database: str | None = None


@api_route(bp, "", summary="Liveness: the process answers (touches no database)", response=HealthOut)
def health():
    return {"status": "ok"}


@api_route(bp, "/ready", summary="Readiness: the database answers", response=HealthOut, errors=[503])
def ready():
    ok, detail = services.database_ready()
    if not ok:
        return {"error": {"code": "database_unavailable", "message": "database unreachable",
                          "details": {"reason": detail}}}, 503
    return {"status": "ok", "database": detail}
