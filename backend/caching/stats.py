"""Per-process cache counters: hits, misses and get latency per layer, and requests per public URL.

Layers: `l1` (the WSGI L1 in front of Flask), `view` (the view cache: SimpleCache or Redis) and
`compressed` (the compressed bodies Flask-Compress reuses per ETag). `urls` counts requests per
public cached URL (path + canonical query): each such request is counted once, by the L1 when
it answers, else by the view cache; it is what the admin stats' top keys and the warmup read.

Cost on the hot path: a few integer additions (no lock: under the GIL an increment lost to a
race between two gthread threads is a rounding error of a counter, never a wrong answer) and one
dict update. `urls` is bounded: past MAX_URLS the least requested half is dropped.
The admin side (backend/cachecontrol) shares these across workers through snapshot files.
"""

from __future__ import annotations

import time
from typing import Any

LAYERS = ("l1", "view", "compressed")
MAX_URLS = 5000


class LayerStats:
    """Hits, misses and the total time spent in gets of one layer."""

    __slots__ = ("hits", "misses", "get_seconds")

    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0
        self.get_seconds = 0.0

    def record(self, hit: bool, seconds: float) -> None:
        """One get: its outcome and how long it took."""
        if hit:
            self.hits += 1
        else:
            self.misses += 1
        self.get_seconds += seconds

    def as_dict(self) -> dict[str, Any]:
        """JSON-able counters."""
        return {"hits": self.hits, "misses": self.misses, "get_seconds": self.get_seconds}


class CacheStats:
    """This process's counters (one per app: `ResponseCache.stats`)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Start from zero (a forked child: its parent's counts are the parent's)."""
        self.layers = {name: LayerStats() for name in LAYERS}
        self.urls: dict[str, int] = {}
        self.started_at = time.time()

    def url(self, key: str) -> None:
        """Count one request for a public cached URL."""
        urls = self.urls
        urls[key] = urls.get(key, 0) + 1
        if len(urls) > MAX_URLS:
            keep = sorted(urls.items(), key=lambda item: item[1], reverse=True)[:MAX_URLS // 2]
            self.urls = dict(keep)

    def snapshot(self) -> dict[str, Any]:
        """Counters as a JSON-able dict (what a worker's snapshot file holds)."""
        return {"started_at": self.started_at, "layers": {n: s.as_dict() for n, s in self.layers.items()},
                "urls": dict(self.urls)}
