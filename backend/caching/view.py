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
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, g, request
from pydantic import BaseModel

from backend.caching.extension import response_cache
from backend.caching.l1 import etag_in


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


def cached_response(namespaces: Callable[[dict[str, Any]], Sequence[str]]) -> Callable:
    """Cache a public GET view's 200 body under the generations `namespaces(view_kwargs)` names.

    Put it under `api_route`, which passes the validated `query=` the key is built from.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(**kwargs: Any):
            store = response_cache()
            key, gens, names = None, None, ()
            if store.enabled:
                names = namespaces(kwargs)
                gens = store.generations.get(names)
            canonical = canonical_query(kwargs.get("query"))
            if gens is not None:
                key = f"resp:{request.endpoint}:{'.'.join(map(str, gens))}:{request.path}?{canonical}"
                entry = store.get(key)
                if entry is not None:
                    g.cache_state = "hit"
                    _remember(store, canonical, names, gens, entry[0], entry[1])
                    return public_response(entry[1], entry[0], store.max_age)
            g.cache_state = "miss" if store.enabled else "off"
            result = current_app.make_response(view(**kwargs))
            if result.status_code != 200:
                return result
            body = result.get_data()
            etag = hashlib.blake2b(body, digest_size=12).hexdigest()
            if key is not None:
                store.set(key, (etag, body))
                _remember(store, canonical, names, gens, etag, body)
            return public_response(body, etag, store.max_age)

        return wrapper

    return decorator


def _remember(store: Any, canonical: str, names: Sequence[str], gens: tuple, etag: str, body: bytes) -> None:
    """Hand the response to the L1, but only under its canonical URL (junk parameters stay out)."""
    if store.l1 is not None and request.query_string.decode("latin-1") == canonical:
        store.l1.remember(request.environ, names, gens, etag, body, request.endpoint)
