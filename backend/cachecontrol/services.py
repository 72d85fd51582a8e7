"""Cache control rules: merged stats, invalidation by namespace or URL, the warmup job's hand-off."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.exceptions import HTTPException

from backend.cachecontrol.shared import shared_stats
from backend.caching.extension import response_cache
from backend.caching.generations import RedisGenerations
from backend.caching.stats import LAYERS
from backend.common.domain import API_PREFIX
from backend.errors import ValidationFailed
from backend.jobs import services as jobs

TOP_KEYS = 20
WARMUP_KIND = "cachecontrol.warmup"


def _merge(snapshots: list[dict[str, Any]]) -> dict[str, Any]:
    layers = {name: {"hits": 0, "misses": 0, "get_seconds": 0.0, "entries": None, "bytes": None} for name in LAYERS}
    urls: dict[str, int] = {}
    for snap in snapshots:
        for name, counts in (snap.get("layers") or {}).items():
            if name in layers and isinstance(counts, dict):
                for field in ("hits", "misses", "get_seconds"):
                    layers[name][field] += counts.get(field) or 0
        for name, size in (snap.get("sizes") or {}).items():
            if name in layers and isinstance(size, dict):
                for field in ("entries", "bytes"):
                    layers[name][field] = (layers[name][field] or 0) + int(size.get(field) or 0)
        for url, count in (snap.get("urls") or {}).items():
            urls[url] = urls.get(url, 0) + int(count)
    return {"layers": layers, "urls": urls}


def stats() -> dict[str, Any]:
    """Per layer: hits, misses, hit rate, entries, bytes, mean get latency; the most requested public URLs."""
    snapshots = shared_stats().all()
    merged = _merge(snapshots)
    layers = {}
    for name, row in merged["layers"].items():
        gets = row["hits"] + row["misses"]
        layers[name] = {"hits": row["hits"], "misses": row["misses"],
                        "hit_rate": round(row["hits"] / gets, 4) if gets else None,
                        "entries": row["entries"], "bytes": row["bytes"],
                        "get_latency_us": round(row["get_seconds"] / gets * 1e6, 2) if gets else None}
    cache = response_cache()
    if isinstance(cache.generations, RedisGenerations):
        layers["view"]["shared"] = True  # one Redis for every worker and host: sizes are not per process
    top = sorted(merged["urls"].items(), key=lambda item: item[1], reverse=True)[:TOP_KEYS]
    return {"workers": len(snapshots), "since": min(s.get("started_at", 0) for s in snapshots),
            "backend": "redis" if isinstance(cache.generations, RedisGenerations) else "memory",
            "layers": layers, "top_keys": [{"key": url, "requests": count} for url, count in top]}


def top_urls(limit: int) -> list[str]:
    """The `limit` most requested public cached URLs, every live worker counted."""
    merged = _merge(shared_stats().all())["urls"]
    return [url for url, _ in sorted(merged.items(), key=lambda item: item[1], reverse=True)[:limit]]


def namespaces_of(url: str) -> list[str]:
    """The generations a cached URL's response depends on (its view's namespaces for those path arguments)."""
    path = urlsplit(url).path
    try:
        endpoint, args = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        raise _bad("key", f"no GET route matches {path!r}") from None
    view = current_app.view_functions.get(endpoint)
    namespaces = getattr(view, "cache_namespaces", None)
    if namespaces is None:
        raise _bad("key", f"{path!r} is not a cached public URL")
    return list(namespaces(args))


def invalidate(namespace: str | None, key: str | None) -> dict[str, Any]:
    """Bump the namespace (or the URL's namespaces): every worker's L1 and view cache drop those entries."""
    names = [namespace] if namespace else namespaces_of(key or "")
    cache = response_cache()
    cache.generations.bump(names)
    redis = isinstance(cache.generations, RedisGenerations)
    return {"namespaces": names, "scope": "every worker of every host (Redis)" if redis else
            "every worker of this host (the generations file)"}


def start_warmup(top: int, actor_id: int) -> dict[str, Any]:
    """Queue the warmup job for the `top` most requested public URLs."""
    return jobs.enqueue(WARMUP_KIND, {"top": top}, actor_id)


def _bad(field: str, problem: str) -> ValidationFailed:
    return ValidationFailed("request body is invalid", {"location": "body", "fields": {field: problem}})


def public_url(url: str) -> bool:
    """A URL the warmup may fetch: under the API prefix, no scheme or host of its own."""
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and parts.path.startswith(API_PREFIX + "/")
