"""Cache control HTTP layer (admin only): parse -> call a service -> serialise."""

from __future__ import annotations

from flask import current_app

from backend.cachecontrol import bp, services
from backend.cachecontrol.schemas import CacheControlStatsOut, InvalidateIn, InvalidateOut, WarmupIn
from backend.common.actor import Role, current_actor
from backend.common.api import api_route
from backend.jobs.schemas import JobOut

ADMIN = (Role.ADMIN,)
PRIVATE = {"Cache-Control": "private, no-store"}


@api_route(bp, "/stats", summary="Cache layers (L1, view cache, compressed bytes) across workers; top URLs",
           response=CacheControlStatsOut, roles=ADMIN, headers=PRIVATE)
def stats():
    return services.stats()


@api_route(bp, "/invalidate", "POST", summary="Drop cached responses of a namespace or URL in every worker",
           body=InvalidateIn, response=InvalidateOut, roles=ADMIN, headers=PRIVATE)
def invalidate(body: InvalidateIn):
    return services.invalidate(body.namespace, body.key)


@api_route(bp, "/warmup", "POST", summary="Build the most requested public responses (202 with the job)",
           body=WarmupIn, response=JobOut, status=202, roles=ADMIN, headers=PRIVATE)
def warmup(body: WarmupIn):
    job = services.start_warmup(body.top or current_app.config["CACHE_WARMUP_TOP"], current_actor().id)
    return job, {"Location": job["status_url"]}
