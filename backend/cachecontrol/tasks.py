"""The warmup job: GET the most requested public cached URLs so their responses are built and stored.

The URLs come from the request counts every live web worker shares (backend/cachecontrol/shared.py)
when the job runs in a web process; in the job worker process those are the files of the web
workers of the same host (same INSIGHT_DIR). Each URL is requested through the app itself
(a test client: no network, same code path), which fills the view cache. With Redis as the
view cache (production) that is every worker's and host's cache; with the in-process default
(SimpleCache) it is only the cache of the process running the job (docs/operations.md says so).
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app

from backend.cachecontrol import services
from backend.jobs.registry import job_handler


@job_handler(services.WARMUP_KIND, max_attempts=1)
def warmup(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """Build up to payload["top"] responses; reports how many were built, already cached or failed."""
    top = max(1, min(1000, int(payload.get("top", 100))))
    urls = [u for u in services.top_urls(top) if services.public_url(u)]
    client = current_app.test_client()
    started = time.monotonic()
    outcome = {"built": 0, "cached": 0, "failed": 0}
    failures: list[dict[str, Any]] = []
    for i, url in enumerate(urls, 1):
        response = client.get(url, headers={"X-Request-ID": f"warmup-{ctx.job.id}-{i}"[:128]})
        state = "cached" if 'cache;desc="hit"' in response.headers.get("Server-Timing", "") else "built"
        if response.status_code != 200:
            state = "failed"
            failures.append({"url": url, "status": response.status_code})
        outcome[state] += 1
        if i % 10 == 0 or i == len(urls):
            ctx.progress(i * 100 // len(urls), f"{i} of {len(urls)} URLs")
    return {**outcome, "urls": len(urls), "failures": failures[:20],
            "seconds": round(time.monotonic() - started, 3)}
