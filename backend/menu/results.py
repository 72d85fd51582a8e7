"""Identify results cached per normalised name: a bounded per-process map, and Redis when configured.

Entries are stored under the catalog generation they were computed at (`menu:catalog`, bumped by
the seed and by approvals), so a new or changed dish is seen by every worker at once; the TTL
bounds the rest. Only successful results are stored (a dish was found): a miss, an unconfigured
provider or a provider failure is never cached. Redis failures are logged and read as misses.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

import orjson
from cachetools import TTLCache
from flask import Flask, current_app

from backend.integrations.extension import Integrations
from backend.menu import settings

log = logging.getLogger(__name__)
KEY = "menu.results"


class ResultCache:
    """name key -> (generation, result); cachetools maps are not thread-safe, hence the lock."""

    def __init__(self, size: int, ttl: float):
        """At most `size` names kept at most `ttl` seconds in this process."""
        self.ttl = ttl
        self.enabled = size > 0 and ttl > 0
        self._local: TTLCache = TTLCache(maxsize=max(1, size), ttl=max(ttl, 0.001))
        self._lock = threading.Lock()

    def _redis_key(self, key: str, generation: tuple[int, ...]) -> str:
        digest = hashlib.sha256(key.encode()).hexdigest()
        gen = ".".join(map(str, generation))
        return f"{current_app.config.get('CACHE_KEY_PREFIX', 'sf:')}menu:result:{gen}:{digest}"

    def get(self, key: str, generation: tuple[int, ...] | None) -> dict[str, Any] | None:
        """The result stored under this generation: this process first, then Redis."""
        if not self.enabled or generation is None:
            return None
        with self._lock:
            entry = self._local.get(key)
        if entry is not None and entry[0] == generation:
            return entry[1]
        redis = Integrations.state().redis
        if redis is None:
            return None
        try:
            raw = redis.get(self._redis_key(key, generation))
        except Exception as exc:
            log.warning("menu result cache: Redis unavailable (%s); computing", exc)
            return None
        if not raw:
            return None
        value = orjson.loads(raw)
        with self._lock:
            self._local[key] = (generation, value)
        return value

    def put(self, key: str, generation: tuple[int, ...] | None, value: dict[str, Any], shared: bool = True) -> None:
        """Remember a successful result (in Redis too when `shared` and configured)."""
        if not self.enabled or generation is None:
            return
        with self._lock:
            self._local[key] = (generation, value)
        redis = Integrations.state().redis
        if redis is None or not shared:
            return
        try:
            redis.set(self._redis_key(key, generation), orjson.dumps(value), px=int(self.ttl * 1000))
        except Exception as exc:
            log.warning("menu result cache: not stored in Redis: %s", exc)

    def clear(self) -> None:
        """Forget this process's entries (tests, seed)."""
        with self._lock:
            self._local.clear()


def init_results(app: Flask) -> None:
    """Give `app` its result cache (MENU_CACHE_SIZE names, MENU_CACHE_TTL seconds)."""
    with app.app_context():
        # CACHE_TYPE=NullCache is the house switch for measuring uncached speed: it turns this off too.
        size = 0 if app.config.get("CACHE_TYPE") == "NullCache" else settings.number("MENU_CACHE_SIZE", int)
        app.extensions[KEY] = ResultCache(size, settings.number("MENU_CACHE_TTL"))


def results() -> ResultCache:
    """The current app's result cache."""
    return current_app.extensions[KEY]
