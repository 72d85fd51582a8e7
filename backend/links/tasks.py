"""The links domain's background job: analyse one URL (`links.analyze`)."""

from __future__ import annotations

from typing import Any

from backend.errors import APIError
from backend.jobs.context import JobContext
from backend.jobs.errors import JobFailed
from backend.jobs.registry import job_handler
from backend.links import pipeline


@job_handler("links.analyze", max_attempts=2)
def analyze_link(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Fetch, extract, download media and analyse what is stale; the result is the link as served."""
    from backend.links.services import public

    try:
        row = pipeline.run(payload["url_hash"], payload["url"], payload["platform"], ctx.progress)
    except APIError as exc:  # FetchRefused / FetchFailed: the page itself is unusable, retrying will not help
        raise JobFailed(exc.code, exc.message, exc.details) from None
    return public(row, cached=False)
