"""Per-user dashboard cache: finished JSON bytes in the shared response cache, keyed by a per-user generation.

A dashboard is per-user data, so it never goes through the public view cache or the L1: its key
names the user (`dash:<part>:<user id>:<generation>:<params>`), its response says
`Cache-Control: private, no-cache`, and it lives DASHBOARD_CACHE_SECONDS (60 s) in the same
Flask-Caching backend as the public responses (SimpleCache in-process, Redis when configured).

Invalidation is one counter per user, `dash:<user id>`, in the response cache's shared generations
(the mmap file of a host's workers, or Redis): the user's own writes bump it (domain event hooks,
backend/dashboard/hooks.py), so every worker's entry for that user becomes unreachable at once and
nothing has to be found and deleted. What other people do (a new booking in an admin's KPI period)
shows within the 60 s. Redis down: generations are unknown and the dashboard is built from the
database, never served stale.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, g

from backend.caching import invalidate, response_cache
from backend.common.json import dumps_bytes


def namespace(user_id: int) -> str:
    """The generation namespace of one user's dashboards."""
    return f"dash:{user_id}"


def changed(*user_ids: int | None) -> None:
    """The dashboards of these users are stale (call after the commit that made them so)."""
    names = [namespace(u) for u in {u for u in user_ids if u is not None}]
    if names:
        invalidate(*names)


def cached_body(part: str, user_id: int, params: str, build: Callable[[], Any]) -> bytes:
    """The JSON bytes of `build()` for this user and params, from the cache when current."""
    store = response_cache()
    gens = store.generations.get([namespace(user_id)]) if store.enabled else None
    if gens is None:  # caching off, or Redis down: build, do not store
        g.cache_state = "off" if not store.enabled else "bypass"
        return dumps_bytes(build())
    key = f"dash:{part}:{user_id}:{gens[0]}:{params}"
    hit = store.get(key)
    if isinstance(hit, bytes):
        g.cache_state = "hit"
        return hit
    g.cache_state = "miss"
    body = dumps_bytes(build())
    store.set(key, body, timeout=current_app.config["DASHBOARD_CACHE_SECONDS"])
    return body

