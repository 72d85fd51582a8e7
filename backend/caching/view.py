"""Public-GET response caching: finished bytes keyed by generation + endpoint + path + validated query.

- The view cache (Flask-Caching: SimpleCache in-process by default, Redis with REDIS_URL) holds
  `(etag, body)`; a hit costs a generation read and one cache get, no serialisation.
- Keys are built from the *validated* query model (defaults dropped, fields sorted), not the raw
  query string, so unknown parameters or another spelling of the same query cannot split the
  cache or flood it with entries; the L1 in front of Flask (caching.l1) only remembers a URL whose
  raw query string already is that canonical form.
- ETag on every cacheable GET; `If-None-Match` answers 304 (also for the compressed variants
  Flask-Compress derives as `"<etag>:<algo>"`).
- Redis failures degrade to the database, never to a 500 (caching.extension).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, g, request
from pydantic import BaseModel

from backend.caching.extension import response_cache
from backend.caching.l1 import LOOKUP_SECONDS, etag_in


def canonical_query(query: BaseModel | None) -> str:
    """The validated query as a sorted query string of the values that differ from the defaults.

    Two requests that the view answers identically get the same string (`?per_page=20` and no
    query at all; `?b=1&a=2` and `?a=2&b=1`); unknown parameters are not part of it.
    """
    if query is None:
        return ""
    values = query.model_dump(mode="json", exclude_defaults=True)
    return urlencode(sorted((key, _text(value)) for key, value in values.items() if value is not None))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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


def cached_response(namespaces: Callable[[dict[str, Any]], Sequence[str]], *,
                    rows: Callable[[Any], Sequence[str]] | None = None, rows_guard: str | None = None) -> Callable:
    """Cache a public GET view's 200 body under the generations `namespaces(view_kwargs)` names.

    Put it under `api_route`, which passes the validated `query=` the key is built from.

    `rows(body)` names more namespaces the body depends on, known only once it is built (e.g. one
    per chef a list page shows): a write that changes one row then bumps that row's namespace
    and drops only the pages showing it, not every page (docs/performance.md "Cache hit rate").
    Those generations are read *after* the view ran, so `rows_guard` is needed: a namespace every
    such write bumps *before* the row's (`invalidate(guard, row_ns)`, in that order). If it moved
    while the view ran, a row may have changed under it and the body is served but not stored.
    """
    if rows is not None and not rows_guard:
        raise ValueError("cached_response(rows=...) needs rows_guard (see its docstring)")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(**kwargs: Any):
            store = response_cache()
            key, gens, names = None, None, ()
            canonical = canonical_query(kwargs.get("query"))
            if store.enabled:
                started = time.perf_counter()
                names = namespaces(kwargs)
                read = store.generations.get((*names, rows_guard) if rows_guard else names)
                gens, guard = (read[:-1], read[-1]) if read is not None and rows_guard else (read, None)
                entry = None
                if gens is not None:
                    key = f"resp:{request.endpoint}:{'.'.join(map(str, gens))}:{request.path}?{canonical}"
                    entry = _current(store, store.get(key))
                _count(store, canonical, entry is not None, time.perf_counter() - started)
                if entry is not None:
                    g.cache_state = "hit"
                    etag, body, dep_names, dep_gens = entry
                    _remember(store, canonical, (*names, *dep_names), (*gens, *dep_gens), etag, body)
                    return public_response(body, etag, store.max_age)
            g.cache_state = "miss" if store.enabled else "off"
            value = view(**kwargs)
            result = current_app.make_response(value)
            if result.status_code != 200:
                return result
            body = result.get_data()
            etag = hashlib.blake2b(body, digest_size=12).hexdigest()
            if key is not None:
                dep_names = tuple(rows(value)) if rows is not None and isinstance(value, dict) else ()
                _store(store, key, canonical, (names, gens), (dep_names, rows_guard, guard), etag, body)
            return public_response(body, etag, store.max_age)

        wrapper.cache_namespaces = namespaces  # type: ignore[attr-defined]  (admin invalidation by URL)
        return wrapper

    return decorator


def _store(store: Any, key: str, canonical: str, base: tuple, deps: tuple, etag: str, body: bytes) -> None:
    """Keep a fresh 200 in the view cache and the L1, unless a row changed while it was built."""
    names, gens = base
    dep_names, rows_guard, guard = deps
    dep_gens: tuple[int, ...] = ()
    if rows_guard:
        after = store.generations.get((*dep_names, rows_guard))  # rows first, guard last
        if after is None or after[-1] != guard:
            return  # a row write ran meanwhile: this body may predate it
        dep_gens = after[:-1]
    store.set(key, (etag, body, dep_names, dep_gens))
    _remember(store, canonical, (*names, *dep_names), (*gens, *dep_gens), etag, body)


def _current(store: Any, entry: Any) -> tuple | None:
    """A view-cache entry as (etag, body, row namespaces, their generations), if its rows are unchanged."""
    if entry is None:
        return None
    if len(entry) == 2:  # written without row namespaces
        return (entry[0], entry[1], (), ())
    etag, body, dep_names, dep_gens = entry
    if dep_names and store.generations.get(dep_names) != tuple(dep_gens):
        return None
    return etag, body, tuple(dep_names), tuple(dep_gens)


def _count(store: Any, canonical: str, hit: bool, seconds: float) -> None:
    """A request for a public cached URL the L1 did not answer: an L1 miss and a view-cache get."""
    stats = store.stats
    if store.l1 is not None:
        stats.layers["l1"].record(False, request.environ.get(LOOKUP_SECONDS, 0.0))
    stats.layers["view"].record(hit, seconds)
    stats.url(f"{request.path}?{canonical}" if canonical else request.path)


def _remember(store: Any, canonical: str, names: Sequence[str], gens: tuple, etag: str, body: bytes) -> None:
    """Hand the response to the L1, but only under its canonical URL (junk parameters stay out)."""
    if store.l1 is not None and request.query_string.decode("latin-1") == canonical:
        store.l1.remember(request.environ, names, gens, etag, body, request.endpoint)
