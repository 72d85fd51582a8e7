"""Health HTTP layer: liveness (no I/O), readiness (public), detailed and dependencies (admin only).

/detailed and /dependencies name hosts, queue sizes, memory and provider URLs: useful to an
operator, a map for an attacker, so they need the admin role; probes only need /live and /ready.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from backend.common.api import api_route
from backend.errors import ServiceUnavailable
from backend.health import bp, checks, services

ADMIN = ("admin",)
OK = {"ok", "skipped"}  # skipped: not configured here (e.g. no REDIS_URL), so nothing to wait for


class HealthOut(BaseModel):
    """Liveness/readiness (`database` and `checks` only on readiness)."""

    status: str
    database: str | None = None
    checks: dict[str, dict[str, Any]] | None = None


class DetailedOut(BaseModel):
    """Every check with its status and latency."""

    status: str
    timestamp: str
    checks: dict[str, dict[str, Any]]


class DependenciesOut(BaseModel):
    """Each declared external provider."""

    status: str
    providers: dict[str, dict[str, Any]]


@api_route(bp, "", summary="Liveness alias of /health/live (touches no database)", response=HealthOut)
def health():
    return {"status": "ok"}


@api_route(bp, "/live", summary="Liveness: the process answers (no I/O)", response=HealthOut)
def live():
    return {"status": "ok"}


@api_route(bp, "/ready", summary="Readiness: database reachable and at the migrations' head; 503 otherwise "
           "(Redis and the job queue degrade /health/detailed instead)", response=HealthOut, errors=[503])
def ready():
    if services.draining():  # the load balancer takes this host out before it stops
        raise ServiceUnavailable("not ready: draining for shutdown", {"reason": "draining"}, code="draining")
    results = checks.run_checks(checks.READY)
    failing = [name for name, result in results.items() if result["status"] not in OK]
    if failing:
        name = failing[0]  # database first: its reason is the one probes and people look for
        reason = results[name].get("error") or results[name]["status"]
        raise ServiceUnavailable(f"not ready: {name}: {reason}",
                                 {"reason": reason, "status": "not_ready", "failing": failing, "checks": results},
                                 code=f"{name}_unavailable")
    return {"status": "ready", "database": results["database"]["backend"], "checks": results}


@api_route(bp, "/detailed", summary="Database, Redis, job queue, disk and memory, each with status and "
           "latency: healthy or degraded (admin)", response=DetailedOut, roles=ADMIN)
def detailed():
    results = checks.run_checks(checks.DETAILED)
    healthy = all(result["status"] in OK for result in results.values())
    return {"status": "healthy" if healthy else "degraded",
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "checks": results}


@api_route(bp, "/dependencies", summary="Every declared external provider: configured, breaker state, last "
           "call (admin)", response=DependenciesOut, roles=ADMIN)
def dependencies():
    results = checks.run_checks(checks.providers())
    healthy = all(result["status"] in OK for result in results.values())
    return {"status": "healthy" if healthy else "degraded", "providers": results}
