"""`ResponseCaching`: binds the view cache, its generations, the L1 and Flask-Compress's byte cache."""

from __future__ import annotations

import logging
from typing import Any

import pybreaker
from flask import Flask, Response, current_app, g
from flask_caching import Cache
from flask_compress import Compress

from backend.caching.compressed import CompressedBytes
from backend.caching.generations import FileGenerations, RedisGenerations, redis_breaker
from backend.caching.l1 import ResponseL1
from backend.caching.stats import CacheStats
from backend.observability.timing import QueryTiming

log = logging.getLogger(__name__)


class ResponseCache:
    """One app's response cache: the Flask-Caching backend plus shared generations (and the L1)."""

    def __init__(self, app: Flask, cache: Cache):
        """Read the cache settings of `app`; Redis (when configured) sits behind one circuit breaker."""
        self.cache = cache
        self.enabled = app.config["CACHE_TYPE"] != "NullCache"
        self.l1: ResponseL1 | None = None
        self.compressed: CompressedBytes | None = None  # made by Flask-Compress through the backend below
        self.stats = CacheStats()  # this process's hits, misses and URL counts (backend/cachecontrol shares them)
        self.max_age = app.config["PUBLIC_MAX_AGE"]
        self.timeout = app.config["CACHE_DEFAULT_TIMEOUT"]
        self.breaker: pybreaker.CircuitBreaker | None = None
        if app.config["CACHE_TYPE"] == "RedisCache":
            import redis

            client = redis.Redis.from_url(
                app.config["CACHE_REDIS_URL"], socket_timeout=app.config["REDIS_SOCKET_TIMEOUT"],
                socket_connect_timeout=app.config["REDIS_SOCKET_TIMEOUT"])
            self.breaker = redis_breaker()
            self.generations: Any = RedisGenerations(client, app.config["CACHE_KEY_PREFIX"], self.breaker)
        else:
            self.generations = FileGenerations(app.config["CACHE_GENERATIONS_PATH"])

    def _guarded(self, fn, *args: Any) -> Any:
        """Run a cache call; a failing or open Redis gives None (the caller reads the database)."""
        try:
            return self.breaker.call(fn, *args) if self.breaker is not None else fn(*args)
        except pybreaker.CircuitBreakerError:
            return None
        except Exception as exc:  # Redis down: read from the database instead
            log.warning("response cache unavailable: %s", exc)
            return None

    def get(self, key: str) -> Any:
        """The cached entry, or None on a miss or when the backend is down."""
        return self._guarded(self.cache.get, key)

    def set(self, key: str, value: Any, timeout: int | None = None) -> None:
        """Store an entry (for `timeout` seconds, default CACHE_DEFAULT_TIMEOUT); failures are logged, never raised."""
        self._guarded(lambda: self.cache.set(key, value, timeout=self.timeout if timeout is None else timeout))


class ResponseCaching:
    """Extension object: `caching.init_app(app)`; `response_cache()` is the typed accessor."""

    key = "caching"

    def __init__(self) -> None:
        """Unbound: Flask-Caching and Flask-Compress instances shared by every app."""
        self.cache = Cache()
        self.compress = Compress()

    def init_app(self, app: Flask) -> ResponseCache:
        """Bind Flask-Caching, Flask-Compress and its byte cache; install the L1 when caching is on."""
        if app.config["CACHE_TYPE"] == "RedisCache":
            app.config.setdefault("CACHE_REDIS_URL", app.config["REDIS_URL"])
            app.config.setdefault("CACHE_OPTIONS", {
                "socket_timeout": app.config["REDIS_SOCKET_TIMEOUT"],
                "socket_connect_timeout": app.config["REDIS_SOCKET_TIMEOUT"],
            })
        self.cache.init_app(app)
        store = app.extensions[self.key] = ResponseCache(app, self.cache)
        size = app.config["COMPRESS_CACHE_SIZE"]

        def compressed_bytes() -> CompressedBytes:
            store.compressed = CompressedBytes(size, store.stats.layers["compressed"])
            return store.compressed

        app.config["COMPRESS_CACHE_BACKEND"] = compressed_bytes
        app.config["COMPRESS_CACHE_KEY"] = lambda _request: g.get("compress_key", "")
        self.compress.init_app(app)
        l1_size = app.config["RESPONSE_L1_SIZE"]
        if store.enabled and l1_size > 0:
            # Hits for URLs this worker has served are answered before Flask (see caching.l1).
            timing = QueryTiming.state(app)
            store.l1 = app.wsgi_app = ResponseL1(
                app.wsgi_app, store.generations, self.compress, timeout=store.timeout, max_age=store.max_age,
                size=l1_size, min_size=app.config["COMPRESS_MIN_SIZE"], request_done=timing.request_done,
                stats=store.stats)
        app.after_request(_default_private)
        return store


def _default_private(response: Response) -> Response:
    """Anything not explicitly public (per-user data, errors) must not be shared by caches."""
    response.headers.setdefault("Cache-Control", "private, no-cache")
    return response


def response_cache(app: Flask | None = None) -> ResponseCache:
    """The response cache of `app` (default: the current app)."""
    return (app or current_app).extensions[ResponseCaching.key]


def invalidate(*namespaces: str) -> None:
    """Bump generations after a commit; call it after the write is durable, never before."""
    store = current_app.extensions.get(ResponseCaching.key)
    if store is not None and namespaces:
        store.generations.bump(namespaces)
