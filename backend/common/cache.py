"""Public-GET response caching: finished bytes keyed by generation + path + normalised query.

- Flask-Caching holds `(etag, body)` (SimpleCache in-process by default, Redis with REDIS_URL);
  a hit costs a generation read and one cache get, no serialisation.
- ETag on every cacheable GET; `If-None-Match` answers 304 (also for the compressed variants
  Flask-Compress derives as `"<etag>:<algo>"`).
- Flask-Compress gets a content-addressed cache of compressed bytes (keyed by ETag + algorithm),
  so a hit is never recompressed and can never be stale.
- Redis failures degrade to the database, never to a 500.
- Each worker also keeps the finished responses it served in an L1 in front of Flask
  (common.response_l1), checked against the same generations: a repeat hit skips Flask entirely.
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
from backend.common.response_l1 import ResponseL1, etag_in
from backend.extensions import cache, compress

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
        self.l1: ResponseL1 | None = None
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

    def remember(self, environ: dict, names: Sequence[str], gens: tuple, etag: str, body: bytes,
                 endpoint: str | None) -> None:
        """Hand a served public 200 to the in-front-of-Flask L1 (common.response_l1), when installed."""
        if self.l1 is not None:
            self.l1.remember(environ, names, gens, etag, body, endpoint)


def response_cache() -> ResponseCache:
    """The current app's ResponseCache."""
    return current_app.extensions["sf_response_cache"]


def invalidate(*namespaces: str) -> None:
    """Bump generations after a commit; call it after the write is durable, never before."""
    store = current_app.extensions.get("sf_response_cache")
    if store is not None and namespaces:
        store.generations.bump(namespaces)


def normalised_query() -> str:
    """The query string as the views read it (last value of a repeated key wins), sorted by key.

    Keying on every value instead would let `?sort=a&sort=b` and `?sort=b&sort=a` share an entry
    although they mean different things.
    """
    return urlencode(sorted((key, values[-1]) for key, values in request.args.lists()))


def _etag_matches(etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    return bool(header) and etag_in(header, etag)


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
            key, gens, names = None, None, ()
            if store.enabled:
                names = namespaces(kwargs)
                gens = store.generations.get(names)
            if gens is not None:
                key = f"resp:{request.endpoint}:{'.'.join(map(str, gens))}:{request.path}?{normalised_query()}"
                entry = store.get(key)
                if entry is not None:
                    g.cache_state = "hit"
                    store.remember(request.environ, names, gens, entry[0], entry[1], request.endpoint)
                    return public_response(entry[1], entry[0], store.max_age)
            g.cache_state = "miss" if store.enabled else "off"
            result = current_app.make_response(view(**kwargs))
            if result.status_code != 200:
                return result
            body = result.get_data()
            etag = hashlib.blake2b(body, digest_size=12).hexdigest()
            if key is not None:
                store.set(key, (etag, body))
                store.remember(request.environ, names, gens, etag, body, request.endpoint)
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
    store = app.extensions["sf_response_cache"] = ResponseCache(app)
    if store.enabled and app.config.get("RESPONSE_L1_SIZE", 1000) > 0:
        # Hits for URLs this worker has served are answered before Flask (see common.response_l1).
        store.l1 = app.wsgi_app = ResponseL1(app, app.wsgi_app, store.generations, compress,
                                             timeout=store.timeout, max_age=store.max_age,
                                             size=app.config.get("RESPONSE_L1_SIZE", 1000))
    size = app.config["COMPRESS_CACHE_SIZE"]
    app.config["COMPRESS_CACHE_BACKEND"] = lambda: CompressedBytes(size)
    app.config["COMPRESS_CACHE_KEY"] = compress_cache_key

    @app.after_request
    def _default_private(response: Response) -> Response:
        # Anything not explicitly public (per-user data, errors) must not be shared by caches.
        response.headers.setdefault("Cache-Control", "private, no-cache")
        return response
