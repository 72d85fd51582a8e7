"""HTTP edges every response shares: security headers, the Server-Timing policy, CORS and the body limit.

- Security headers: an API serves no HTML, so it may never be framed or sniffed into something
  else. The same constant is sent by the L1 (caching.l1), which answers hits before Flask.
- `SERVER_TIMING=all|admin|off`: the timing header tells an observer how much database work a
  request did (a side channel), so production defaults to `off`; `admin` keeps it for admin actors.
- CORS (Flask-CORS) only for origins in `CORS_ORIGINS`; no credentials (clients send a bearer
  token, not cookies), so `Access-Control-Allow-Credentials` is never sent, with `*` or without.
- The body limit: Werkzeug enforces MAX_CONTENT_LENGTH on a chunked body (no Content-Length) by
  stopping at the limit and returning what it read, so an oversized body was cut and accepted.
  `BodyLimit` reads a chunked body itself (up to limit + 1 bytes) and hands Flask a sized one.
- Per-route body limits: MAX_CONTENT_LENGTH (1 MiB) is every route's limit unless the route
  declares its own, for uploads: `api_route(bp, "/recognize", "POST", ..., max_body="MENU_MAX_BODY")`
  (a config key, so the environment can change it; an int is taken as bytes). `api_route` records it
  in `ROUTE_BODY_LIMITS` (endpoint -> limit); `BodyLimit` matches the URL to its endpoint when a body
  is chunked or larger than the global limit (the common small request pays nothing) and Flask's
  per-request `request.max_content_length` is set to the route's limit before the view runs. The
  route's limit is for the whole multipart body: make it the file limit plus a little room for the
  part headers (`upload_body_limit`). nginx needs the same: deploy/nginx.conf has a location for the
  upload paths with a larger `client_max_body_size`; add a new upload path there too.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, request

from backend.errors import PayloadTooLarge

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", "frame-ancestors 'none'"),
)
SERVER_TIMING_MODES = ("all", "admin", "off")
CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key"]
CORS_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"]
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After", "Server-Timing"]
CORS_MAX_AGE = 600  # seconds a browser may reuse a preflight answer
READ_SIZE = 65536
MULTIPART_ROOM = 64 * 1024  # multipart boundaries and part headers around an uploaded file
# endpoint ("menu.recognize") -> its body limit: bytes, or the config key that holds them.
ROUTE_BODY_LIMITS: dict[str, int | str] = {}


def upload_body_limit(file_limit: int) -> int:
    """The body limit for a route taking one file of at most `file_limit` bytes (plus multipart room)."""
    return int(file_limit) + MULTIPART_ROOM


def route_body_limit(endpoint: str | None, config: Any) -> int | None:
    """The body limit the route declared (resolved through `config` when it names a key), else None."""
    declared = ROUTE_BODY_LIMITS.get(endpoint or "")
    if declared is None:
        return None
    return int(config[declared]) if isinstance(declared, str) else int(declared)


def cors_origins(value: str | list[str] | None) -> list[str]:
    """The allow-list from `CORS_ORIGINS` (comma-separated; empty means no CORS headers at all)."""
    if isinstance(value, (list, tuple)):
        return [o.strip().rstrip("/") for o in value if o.strip()]
    return [o.strip().rstrip("/") for o in (value or "").split(",") if o.strip()]


def _read(stream: Any, size: int) -> bytes:
    """Up to `size` bytes from a WSGI input (servers may return less than asked per read)."""
    parts, left = [], size
    while left > 0:
        chunk = stream.read(min(left, READ_SIZE))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


class BodyLimit:
    """WSGI middleware: give chunked bodies a Content-Length, so an oversized one is a 413.

    An oversized body (chunked or with Content-Length) is also drained up to `limit` more bytes
    before Flask answers: a server that closes a socket with unread input sends a TCP reset, and
    the client then sees "connection reset" instead of the 413. Past that, the connection is
    simply closed (nginx's client_max_body_size refuses earlier in production).
    """

    def __init__(self, wsgi_app: Callable, limit: int, app: Flask | None = None):
        """Wrap `wsgi_app` with `limit` bytes (MAX_CONTENT_LENGTH); `app` resolves per-route limits."""
        self.wsgi_app = wsgi_app
        self.limit = limit
        self.app = app

    def limit_for(self, environ: dict) -> int:
        """The route's declared limit (matched from the URL), else the global one."""
        if self.app is None or not ROUTE_BODY_LIMITS:
            return self.limit
        try:
            adapter = self.app.url_map.bind_to_environ(environ, server_name=self.app.config.get("SERVER_NAME"))
            endpoint, _ = adapter.match()
        except Exception:  # noqa: BLE001  (404/405/redirects: Flask answers those; the global limit applies)
            return self.limit
        return route_body_limit(str(endpoint), self.app.config) or self.limit

    def __call__(self, environ: dict, start_response: Callable):
        """Size a chunked body; drain a bounded amount of an oversized one."""
        length = environ.get("CONTENT_LENGTH")
        stream = environ.get("wsgi.input")
        if stream is None:
            pass
        elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            limit = self.limit_for(environ)
            body = _read(stream, limit + 1)
            if len(body) > limit:
                _read(stream, limit)
            # The body is sized now: Werkzeug ignores Content-Length while Transfer-Encoding says chunked.
            environ.pop("HTTP_TRANSFER_ENCODING")
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        elif length and length.isdigit() and self.limit < int(length):
            limit = self.limit_for(environ)
            if limit < int(length) <= 2 * limit:
                _read(stream, int(length))  # Flask refuses it unread; reading it first avoids the reset
                environ["wsgi.input"] = io.BytesIO(b"")
        return self.wsgi_app(environ, start_response)


def _refuse_oversized() -> None:
    """Any route: a body over its limit is a 413, whether or not the view reads it.

    The limit is the route's declared one (ROUTE_BODY_LIMITS) else MAX_CONTENT_LENGTH; it is also
    set as this request's `max_content_length`, which Werkzeug's form parser enforces.
    """
    limit = route_body_limit(request.endpoint, current_app.config)
    if limit is not None:
        request.max_content_length = limit
    else:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and (request.content_length or 0) > limit:
        raise PayloadTooLarge(f"request body is larger than {limit} bytes", {"limit": limit})


def _finish(mode: str) -> Callable[[Response], Response]:
    """The after_request hook: security headers, then the Server-Timing policy."""

    def finish(response: Response) -> Response:
        headers = response.headers
        for name, value in SECURITY_HEADERS:
            headers.setdefault(name, value)
        if mode != "all" and "Server-Timing" in headers:
            actor = g.get("actor")
            if mode == "off" or actor is None or not actor.is_admin:
                del headers["Server-Timing"]
        return response

    return finish


def register_http(app: Flask) -> None:
    """Install the headers hook, CORS and the body limit; call it after the extensions are set up."""
    mode = str(app.config.get("SERVER_TIMING") or "all").lower()
    if mode not in SERVER_TIMING_MODES:
        raise RuntimeError(f"SERVER_TIMING must be one of {SERVER_TIMING_MODES}, got {mode!r}")
    origins = cors_origins(app.config.get("CORS_ORIGINS"))
    app.before_request(_refuse_oversized)
    # after_request hooks run in reverse order of registration; inserting this one first makes it
    # run last, after the timing hook has written Server-Timing, so the policy can remove it.
    app.after_request_funcs.setdefault(None, []).insert(0, _finish(mode))
    if origins:
        from flask_cors import CORS

        CORS(app, origins=origins, methods=CORS_METHODS, allow_headers=CORS_ALLOW_HEADERS,
             expose_headers=CORS_EXPOSE_HEADERS, max_age=CORS_MAX_AGE, supports_credentials=False,
             vary_header=True)
    store = app.extensions.get("caching")
    l1 = getattr(store, "l1", None)
    if l1 is not None:
        l1.server_timing = mode == "all"  # L1 hits are anonymous: `admin` means no header there
        l1.decline_origin = bool(origins)
    limit = app.config.get("MAX_CONTENT_LENGTH")
    if limit:
        app.wsgi_app = BodyLimit(app.wsgi_app, int(limit), app)
