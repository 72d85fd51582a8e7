"""The profiler's endpoint list, gathered from the domains' `perf.py` (every public GET and the main calls).

Each domain declares its own `PROFILE` in `backend/<domain>/perf.py` (see scripts.perf_spec): an
Endpoint names the OpenAPI route it covers (the profiler reports public GETs nobody covers), a p95
budget in ms, and a builder that returns (path, JSON body) for sample i, so rotating endpoints
(chef detail, filters) spread over many ids and measure uncached work.
"""

from __future__ import annotations

from functools import cache

from scripts.perf_spec import Endpoint, profile_endpoints


@cache
def all_endpoints() -> tuple[Endpoint, ...]:
    """Every domain's PROFILE, in domain name order (discovered once per process)."""
    return tuple(profile_endpoints())


def select_endpoints(only: str | None) -> list[Endpoint]:
    """All endpoints, or the comma-separated subset named by --only (unknown names are an error)."""
    endpoints = all_endpoints()
    if not only:
        return list(endpoints)
    names = [n.strip() for n in only.split(",") if n.strip()]
    known = {e.name for e in endpoints}
    unknown = sorted(set(names) - known)
    if unknown:
        raise RuntimeError(f"unknown endpoint(s) {unknown}; known: {sorted(known)}")
    return [e for e in endpoints if e.name in names]
