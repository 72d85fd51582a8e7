"""Public-GET response caching: finished bytes keyed by generation + path + normalised query.

- Flask-Caching holds `(etag, body)` (SimpleCache in-process by default, Redis with REDIS_URL);
  a hit costs a generation read and one cache get, no serialisation.
- ETag on every cacheable GET; `If-None-Match` answers 304 (also for the compressed variants
  Flask-Compress derives as `"<etag>:<algo>"`).
- Flask-Compress gets a content-addressed cache of compressed bytes (keyed by ETag + algorithm),
  so a hit is never recompressed and can never be stale.
- Redis failures degrade to the database, never to a 500.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, current_app, g, request

from backend.common.generations import FileGenerations, RedisGenerations
from backend.extensions import cache

log = logging.getLogger(__name__)


class CompressedBytes:
    """A bounded, thread-safe LRU of compressed bodies for Flask-Compress, keyed by '<algo>;<etag>'."""

    def __init__(self, size: int = 2000):
        self.size = size
        self._data: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        if key.endswith(";"):  # no ETag: an uncacheable (e.g. per-user) response
            return None
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(";"):
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


def compress_cache_key(_request) -> str:
    """Flask-Compress cache key: the ETag of a cacheable response, empty otherwise."""
    return g.get("compress_key", "")


class ResponseCache:
    """Per-app response cache: the Flask-Caching backend plus shared generations."""

    RETRY_AFTER = 5.0

    def __init__(self, app: Flask):
        self.enabled = app.config["CACHE_TYPE"] != "NullCache"
        self.max_age = app.config["PUBLIC_MAX_AGE"]
        self.timeout = app.config["CACHE_DEFAULT_TIMEOUT"]
        self._down_until = 0.0
        if app.config["CACHE_TYPE"] == "RedisCache":
            import redis

            client = redis.Redis.from_url(
                app.config["CACHE_REDIS_URL"], socket_timeout=app.config["REDIS_SOCKET_TIMEOUT"],
                socket_connect_timeout=app.config["REDIS_SOCKET_TIMEOUT"])
            self.generations = RedisGenerations(client, app.config["CACHE_KEY_PREFIX"])
        else:
            self.generations = FileGenerations(app.config["CACHE_GENERATIONS_PATH"])

    def get(self, key: str) -> Any:
        """The cached entry, or None on a miss or when the backend is down."""
        if time.monotonic() < self._down_until:
            return None
        try:
            return cache.get(key)
        except Exception as exc:  # Redis down: read from the database instead
            self._failed(exc)
            return None

    def set(self, key: str, value: Any) -> None:
        """Store an entry; failures are logged, never raised."""
        if time.monotonic() < self._down_until:
            return
        try:
            cache.set(key, value, timeout=self.timeout)
        except Exception as exc:
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        log.warning("response cache unavailable: %s", exc)
        self._down_until = time.monotonic() + self.RETRY_AFTER


def response_cache() -> ResponseCache:
    """The current app's ResponseCache."""
    return current_app.extensions["sf_response_cache"]


def invalidate(*namespaces: str) -> None:
    """Bump generations after a commit; call it after the write is durable, never before."""
    store = current_app.extensions.get("sf_response_cache")
    if store is not None and namespaces:
        store.generations.bump(namespaces)


def normalised_query() -> str:
    """The query string with parameters sorted, so equivalent URLs share a key."""
    return urlencode(sorted(request.args.items(multi=True)))


def _etag_matches(etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    for token in header.split(","):
        token = token.strip().removeprefix("W/").strip('"')
        if token == "*" or token.split(":", 1)[0] == etag:
            return True
    return False


def public_response(body: bytes, etag: str, max_age: int) -> Response:
    """A 200 (or 304 when the client has it) with the public caching headers."""
    g.compress_key = etag
    response = Response(status=304) if _etag_matches(etag) else Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


def cached_response(namespaces: Callable[[dict[str, Any]], Sequence[str]]) -> Callable:
    """Cache a public GET view's 200 body under the generations `namespaces(view_kwargs)` names."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(**kwargs: Any):
            store = response_cache()
            key, gens = None, None
            if store.enabled:
                gens = store.generations.get(namespaces(kwargs))
            if gens is not None:
                key = f"resp:{request.endpoint}:{'.'.join(map(str, gens))}:{request.path}?{normalised_query()}"
                entry = store.get(key)
                if entry is not None:
                    g.cache_state = "hit"
                    return public_response(entry[1], entry[0], store.max_age)
            g.cache_state = "miss" if store.enabled else "off"
            result = current_app.make_response(view(**kwargs))
            if result.status_code != 200:
                return result
            body = result.get_data()
            etag = hashlib.blake2b(body, digest_size=12).hexdigest()
            if key is not None:
                store.set(key, (etag, body))
            return public_response(body, etag, store.max_age)

        return wrapper

    return decorator


def init_cache(app: Flask) -> None:
    """Bind Flask-Caching and Flask-Compress's byte cache, and create the app's ResponseCache."""
    if app.config["CACHE_TYPE"] == "RedisCache":
        app.config.setdefault("CACHE_REDIS_URL", app.config["REDIS_URL"])
        app.config.setdefault("CACHE_OPTIONS", {
            "socket_timeout": app.config["REDIS_SOCKET_TIMEOUT"],
            "socket_connect_timeout": app.config["REDIS_SOCKET_TIMEOUT"],
        })
    cache.init_app(app)
    app.extensions["sf_response_cache"] = ResponseCache(app)
    size = app.config["COMPRESS_CACHE_SIZE"]
    app.config["COMPRESS_CACHE_BACKEND"] = lambda: CompressedBytes(size)
    app.config["COMPRESS_CACHE_KEY"] = compress_cache_key

    @app.after_request
    def _default_private(response: Response) -> Response:
        # Anything not explicitly public (per-user data, errors) must not be shared by caches.
        response.headers.setdefault("Cache-Control", "private, no-cache")
        return response
