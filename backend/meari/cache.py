"""The bounded, expiring cache of finished sessions, invalidated across processes.

The worker changes sessions and the web workers read them, so a per-process map alone would serve
stale data (DESIGN rule 7). Each entry is stored with the generation of its namespace
`meari:<id>` (the response cache's shared counters: a memory-mapped file on one host, Redis with
REDIS_URL); a writer bumps it after its commit (`invalidate`) and every process's entry stops
matching at once. The TTL bounds what a lost bump (Redis down) could leave behind.

Order matters: the generation is read *before* the database, so a write that commits in between
leaves an entry under the old generation, which the next read no longer matches.
"""

from __future__ import annotations

import threading
from typing import Any

from cachetools import TTLCache
from flask import Flask, current_app

from backend.caching import invalidate, response_cache

KEY = "meari.cache"


def namespace(session_id: int) -> str:
    """The generation namespace of one session."""
    return f"meari:{session_id}"


class SessionCache:
    """session id -> (generation, value); cachetools maps are not thread-safe, hence the lock."""

    def __init__(self, size: int, ttl: float):
        """At most `size` sessions, each kept at most `ttl` seconds."""
        self._entries: TTLCache = TTLCache(maxsize=max(1, size), ttl=ttl)
        self._lock = threading.Lock()
        self.enabled = size > 0 and ttl > 0

    def get(self, session_id: int, generation: tuple[int, ...]) -> Any:
        """The value stored under this generation, else None."""
        with self._lock:
            entry = self._entries.get(session_id)
        return entry[1] if entry is not None and entry[0] == generation else None

    def put(self, session_id: int, generation: tuple[int, ...], value: Any) -> None:
        """Remember `value` as read under `generation`."""
        with self._lock:
            self._entries[session_id] = (generation, value)


def init_cache(app: Flask) -> None:
    """Give `app` its session cache (sized by MEARI_CACHE_SIZE / MEARI_CACHE_TTL)."""
    app.extensions[KEY] = SessionCache(app.config["MEARI_CACHE_SIZE"], app.config["MEARI_CACHE_TTL"])


def session_cache() -> SessionCache:
    """The current app's session cache."""
    return current_app.extensions[KEY]


def generation(session_id: int) -> tuple[int, ...] | None:
    """The session's current generation; None when it cannot be read (then do not cache)."""
    if not session_cache().enabled:
        return None
    return response_cache().generations.get([namespace(session_id)])


def changed(session_id: int) -> None:
    """Call after a commit that changed the session: every process drops its entry."""
    invalidate(namespace(session_id))
