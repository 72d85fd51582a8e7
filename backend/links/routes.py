"""Links HTTP layer: parse -> call a service -> serialise."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, jsonify

from backend.common.actor import ROLES, Role, current_actor
from backend.common.api import api_route
from backend.errors import NotFound
from backend.links import bp, reports, services, stats
from backend.links.schemas import AnalyzeAsyncIn, AnalyzeIn, AnalyzeJobOut, CacheStatsOut, CostsOut, CostsQuery, LinkOut

ADMIN = (Role.ADMIN,)
NO_STORE = {"Cache-Control": "no-store"}  # a job carries its stream token
HEX = frozenset("0123456789abcdef")


def job_or_result(body: dict[str, Any], how: str) -> Response:
    """The answer for `how`: 200 with the analysis, 202 with the job, or 303 to the result URL.

    A 202's `Location` is the job's status URL; a 303's is the event server's result URL, which
    waits for the job (backend/links/lane.py).
    """
    if how == services.DONE:
        return jsonify(body)
    status_url = f"/api/v1/links/analyze/status/{body['id']}"
    response = jsonify({**body, "job_id": body["id"], "status_url": status_url})
    response.status_code = 303 if how == services.ELSEWHERE else 202
    response.headers.update({"Location": body["result_url"] if how == services.ELSEWHERE else status_url, **NO_STORE})
    return response


def _url_hash(value: str) -> str:
    if len(value) != 64 or not set(value) <= HEX:
        raise NotFound("no analysis of this link")
    return value


@api_route(bp, "/links/analyze", "POST", summary="Analyse a link: from the cache at once (200), else 303 to "
           "the event server's result URL, which answers within LINKS_SYNC_WAIT seconds (200) or 202 with the job",
           body=AnalyzeIn, response=LinkOut, roles=ROLES, errors=[202, 303, 502, 504])
def analyze(body: AnalyzeIn):
    return job_or_result(*services.analyze(current_actor(), body.url))


@api_route(bp, "/links/analyze/async", "POST", summary="Analyse a link in the background: 202 with the job "
           "(200 with the analysis when it is cached)", body=AnalyzeAsyncIn, response=AnalyzeJobOut,
           status=202, roles=ROLES)
def analyze_async(body: AnalyzeAsyncIn):
    return job_or_result(*services.analyze_async(current_actor(), body.url, body.priority))


@api_route(bp, "/links/analyze/status/<uuid:job_id>", summary="An analysis job (its owner, a requester "
           "who shared it, or an admin)", response=AnalyzeJobOut, roles=ROLES, errors=[404], headers=NO_STORE)
def analyze_status(job_id: UUID):
    job = services.job_status(current_actor(), str(job_id))
    return {**job, "job_id": job["id"]}


@api_route(bp, "/links/cache/stats", summary="Link cache: hits, misses, hit rate, size", response=CacheStatsOut,
           roles=ROLES)
def cache_stats():
    return stats.cache_stats()


@api_route(bp, "/links/<url_hash>", summary="A stored link analysis by url_hash (64 hex)", response=LinkOut,
           roles=ROLES, errors=[404])
def get_link(url_hash: str):
    return services.get_link(_url_hash(url_hash))


@api_route(bp, "/links/cache/<url_hash>", "DELETE", summary="Drop a link from the cache (admin)", status=204,
           roles=ADMIN, errors=[404])
def forget_link(url_hash: str):
    services.forget(_url_hash(url_hash))


@api_route(bp, "/admin/links/costs", summary="Model calls and cost per day, model and URL; calls saved by "
           "caching, batching and dedupe (admin)", query=CostsQuery, response=CostsOut, roles=ADMIN)
def link_costs(query: CostsQuery):
    return reports.costs(query.days)
