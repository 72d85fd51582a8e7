"""Cache hit/miss counters shared by every worker (DESIGN rule 7), and the cache's size.

The counters live in the response cache's generations store (an mmap file every worker on the
host maps, or Redis when configured), so a hit is counted without a database write: a hit stays
one indexed read. A slot collision with another namespace can only over-count, and Redis being
down loses counts, never a request.
"""

from __future__ import annotations

from sqlalchemy import func, select

from backend.caching import response_cache
from backend.common.models import utcnow
from backend.extensions import db
from backend.links.models import LinkAnalysis

HITS, MISSES, SAVED = "links:stats:hits", "links:stats:misses", "links:stats:saved_calls"


def count(name: str, times: int = 1) -> None:
    """Add `times` to counter `name`."""
    generations = response_cache().generations
    for _ in range(times):
        generations.bump([name])


def read() -> dict[str, int]:
    """hits, misses and model calls saved by cache hits (zeros when the store is unavailable)."""
    values = response_cache().generations.get([HITS, MISSES, SAVED]) or (0, 0, 0)
    return {"hits": values[0], "misses": values[1], "saved_calls": values[2]}


def cache_stats() -> dict[str, object]:
    """hits, misses, hit rate and size (links whose metadata is still fresh)."""
    counters = read()
    size = db.session.execute(select(func.count()).select_from(LinkAnalysis)
                              .where(LinkAnalysis.expires_at > utcnow())).scalar_one()
    looked = counters["hits"] + counters["misses"]
    return {"hits": counters["hits"], "misses": counters["misses"],
            "rate": round(counters["hits"] / looked, 4) if looked else 0.0, "size": size,
            "calls_saved": counters["saved_calls"]}
