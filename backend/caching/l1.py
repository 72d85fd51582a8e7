"""Cache hits answered in front of Flask: a per-worker L1 of finished public responses.

A hit in the view-level cache (caching.view) still pays Flask's request machinery: the request
context, cookie session, routing, query validation, the after_request hooks. Measured on a sync
worker that is most of what a hit costs, while the floor app (a bare Flask view) pays only part of
it. Public cached GETs depend on nothing but their path and query string, so each worker keeps
the finished bytes of the ones it served, under the raw (path, query string), together with the
cache generations they were built under; a GET for the same URL whose generations are still
current is answered here without entering Flask.

Correctness is the view cache's: the same generations (shared by every worker through the mmap
file or Redis, DESIGN rule 7) are read on every hit, so a write that bumped them is seen at once,
and entries expire with CACHE_DEFAULT_TIMEOUT. Redis down means generations are unknown: Flask
answers (from the database). A hit gets what the view would give: ETag, If-None-Match -> 304,
Cache-Control public, Vary, Server-Timing (0 queries, cache hit), and for a client that accepts
compression, the compressed bytes Flask-Compress already made for that ETag (none yet: Flask
answers and makes them). HEAD, Range, other methods and unseen URLs go to Flask.

Hits skip Flask's before/after_request hooks: what must see every request (metrics, rate limits)
belongs in WSGI middleware outside this one, or is called here (the request observers are).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from cachetools import TTLCache
from werkzeug.http import parse_accept_header

from backend.common.http import SECURITY_HEADERS
from backend.observability.timing import server_timing

JSON = "application/json"
LOOKUP_SECONDS = "sf.l1_lookup_seconds"  # environ key: how long a lookup that did not answer took


def etag_in(header: str, etag: str) -> bool:
    """True when an If-None-Match header names `etag` or one of its compressed variants ("<etag>:<algo>")."""
    for token in header.split(","):
        token = token.strip().removeprefix("W/").strip('"')
        if token == "*" or token.split(":", 1)[0] == etag:
            return True
    return False


def choose_encoding(accept_encoding: str, algorithms: Sequence[str]) -> str | None:
    """The encoding to send for `accept_encoding`.

    Werkzeug's public q-value negotiation over our algorithms, in server order on ties: what
    Flask-Compress picks (tests hold the two together).
    """
    return parse_accept_header(accept_encoding).best_match(algorithms)


class ResponseL1:
    """WSGI middleware holding this worker's finished public responses, keyed by raw path and query."""

    # Set by backend.common.http.register_http from SERVER_TIMING and CORS_ORIGINS.
    server_timing = True
    # With CORS on, a request carrying Origin goes to Flask, where Flask-CORS decides on its headers:
    # the L1 keeps no per-origin variants, and answering here would drop Access-Control-Allow-Origin.
    decline_origin = False

    def __init__(self, wsgi_app: Callable, generations: Any, compress: Any, *, timeout: int, max_age: int,
                 size: int, min_size: int, request_done: Callable[[str, int, float], None], stats: Any = None):
        """Wrap `wsgi_app`; entries live at most `timeout` seconds, `size` at most (least recent out)."""
        self.wsgi_app = wsgi_app
        self.generations = generations
        self.compress = compress
        self.cache_control = f"public, max-age={max_age}"
        self.min_size = min_size
        self.request_done = request_done
        self.stats = stats  # caching.stats.CacheStats: hits here, misses counted by the view cache
        self._entries: TTLCache[tuple[str, str], tuple] = TTLCache(maxsize=max(1, size), ttl=timeout)
        self._lock = threading.Lock()  # cachetools caches are not thread-safe (gthread workers)

    def remember(self, environ: dict, namespaces: Sequence[str], gens: tuple, etag: str, body: bytes,
                 endpoint: str | None) -> None:
        """Keep a public 200 the view cache just served, under the generations it was built under."""
        key = (environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""))
        with self._lock:
            self._entries[key] = (tuple(namespaces), gens, etag, body, endpoint)

    def __len__(self) -> int:
        """How many responses are held."""
        return len(self._entries)

    def size_bytes(self) -> int:
        """Bytes of the bodies held."""
        with self._lock:
            return sum(len(entry[3]) for entry in list(self._entries.values()))

    def __call__(self, environ: dict, start_response: Callable):
        """Answer a current hit here; anything else goes to Flask."""
        if environ.get("REQUEST_METHOD") != "GET" or "HTTP_RANGE" in environ or (
                self.decline_origin and "HTTP_ORIGIN" in environ):
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        key = (environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""))
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            environ[LOOKUP_SECONDS] = time.perf_counter() - started  # the view cache counts the miss
            return self.wsgi_app(environ, start_response)
        namespaces, gens, etag, body, endpoint = entry
        if self.generations.get(namespaces) != gens:
            environ[LOOKUP_SECONDS] = time.perf_counter() - started
            return self.wsgi_app(environ, start_response)  # Flask answers and remembers the new one
        vary = "Accept-Encoding, Origin" if self.decline_origin else "Accept-Encoding"
        headers = [("Cache-Control", self.cache_control), ("Vary", vary), *SECURITY_HEADERS]
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and etag_in(if_none_match, etag):
            status, data = "304 NOT MODIFIED", b""
            headers.append(("ETag", f'"{etag}"'))
        else:
            status, data, tag = "200 OK", body, etag
            accept = environ.get("HTTP_ACCEPT_ENCODING")
            if accept and len(body) >= self.min_size:
                algorithm = choose_encoding(accept, self.compress.enabled_algorithms)
                if algorithm is not None:
                    cached = self.compress.cache.get(f"{algorithm};{etag}") if self.compress.cache else None
                    if cached is None:
                        environ[LOOKUP_SECONDS] = time.perf_counter() - started
                        return self.wsgi_app(environ, start_response)
                    data, tag = cached, f"{etag}:{algorithm}"
                    headers.append(("Content-Encoding", algorithm))
            headers += [("Content-Type", JSON), ("Content-Length", str(len(data))), ("ETag", f'"{tag}"')]
        self._count_hit(headers, endpoint, key, started)
        environ["sf.cache"] = "l1"  # for the metrics middleware outside (observability.metrics)
        start_response(status, headers)
        return [data]

    def _count_hit(self, headers: list, endpoint: str | None, key: tuple[str, str], started: float) -> None:
        """Server-Timing, the request observers and the cache counters of a hit answered here."""
        if self.server_timing:
            headers.append(("Server-Timing", server_timing(0, 0.0, (time.perf_counter() - started) * 1000, "hit")))
        if endpoint:
            self.request_done(endpoint, 0, 0.0)
        if self.stats is not None:
            self.stats.layers["l1"].record(True, time.perf_counter() - started)
            self.stats.url(f"{key[0]}?{key[1]}" if key[1] else key[0])
