"""The request id and the request line, as WSGI middleware around everything (L1 hits and 429s included).

The L1 (backend/caching/l1.py) answers repeat GETs before Flask and the client limit answers
429s before that, so Flask hooks would never see those requests. This middleware is the
outermost layer of the app (installed last in create_app):

- the id: a client's `X-Request-ID` is kept when it is 1-128 characters of `[A-Za-z0-9._:-]`
  starting with a letter or digit (anything else could forge log structure or carry junk into
  the log store); otherwise a fresh uuid4 hex. It is returned in `X-Request-ID` on every answer
  and set in a ContextVar that every log line of the request reads (request_id, method, path,
  user id once authentication sets it);
- the request line: one `request` event (logger `backend.request`) with status and duration
  in ms, when LOG_REQUESTS is on; sampled into the log store (backend.logs.buffer);
- gunicorn's access logger (backend.logs.gunicorn) reads the same id and user from the environ.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import orjson

from backend.common.request_context import REQUEST
from backend.logs.masking import mask_text

log = logging.getLogger("backend.request")
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
ENVIRON_KEY = "sf.request"  # the request's info dict, for gunicorn's access logger


def write_request_line(info: dict[str, Any]) -> None:
    """The `request` line, rendered here rather than through logging + structlog.

    Same fields, order and masking as every other line, at a fraction of the cost: the generic
    path (a LogRecord, the processor chain, masking every field) measured ~3x the time of this
    one, on every request including L1 hits (docs/performance.md "Log store on a million rows").
    """
    event = {"timestamp": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"), "level": "info",
             "logger": "backend.request", "message": "request", "request_id": info["request_id"],
             "method": info["method"], "path": mask_text(info["path"]), "status": info["status"],
             "duration_ms": info["duration_ms"]}
    if info.get("user_id") is not None:
        event["user_id"] = info["user_id"]
    sys.stderr.write(orjson.dumps(event).decode() + "\n")


def request_id_from(header: str | None) -> str:
    """The client's id when it is well formed, else a fresh one."""
    if header and REQUEST_ID_RE.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestLog:
    """WSGI middleware: request id in and out, one request line per answer."""

    def __init__(self, wsgi_app: Callable, *, log_requests: bool,
                 on_done: Callable[[dict[str, Any], int, float], None] | None = None):
        """Wrap `wsgi_app`; `on_done(info, status, ms)` gets every finished request (the log store's sampler)."""
        self.wsgi_app = wsgi_app
        self.log_requests = log_requests
        self.on_done = on_done

    def __call__(self, environ: dict, start_response: Callable):
        """Bind the request's context, answer, then write its line."""
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        info = {"request_id": request_id, "method": environ.get("REQUEST_METHOD"),
                "path": environ.get("PATH_INFO", ""), "user_id": None}
        environ[ENVIRON_KEY] = info
        token = REQUEST.set(info)
        started = time.perf_counter()
        status = [500]

        def start(status_line: str, headers: list, exc_info: Any = None):
            status[0] = int(status_line[:3]) if status_line[:3].isdigit() else 500
            headers = [h for h in headers if h[0].lower() != "x-request-id"]
            headers.append(("X-Request-ID", request_id))
            return start_response(status_line, headers, exc_info)

        try:
            return self.wsgi_app(environ, start)
        finally:
            ms = (time.perf_counter() - started) * 1000
            info["status"] = status[0]
            info["duration_ms"] = round(ms, 3)
            try:
                if self.log_requests and log.isEnabledFor(logging.INFO):
                    write_request_line(info)
                if self.on_done is not None:
                    self.on_done(info, status[0], ms)
            except Exception:  # a log line must never turn an answer into an error
                log.exception("could not record the request line")
            REQUEST.reset(token)
