"""Gunicorn's logger class (`logger_class` in gunicorn_config.py): its access and error logs as our JSON.

Gunicorn's default access log fills a format string with request headers, so a crafted
User-Agent with quotes or a newline could forge fields or whole lines. Here every value is a
JSON string (orjson escapes quotes, newlines and control characters) and goes through the same
masking as every other line; the query string is never logged (it may carry secrets: see
backend.logs.masking). The request id and user id come from the environ the app's request-log
middleware filled, so the access line and the app's lines of one request share the id.
"""

from __future__ import annotations

import logging
import traceback

from gunicorn.glogging import Logger

from backend.logs.middleware import ENVIRON_KEY
from backend.logs.setup import json_formatter

HEADER_MAX = 300


class JsonLogger(Logger):
    """Gunicorn's Logger with JSON formatters and a structured access line."""

    def setup(self, cfg) -> None:
        """Gunicorn's own setup, then our formatter on every handler it installed."""
        super().setup(cfg)
        formatter = json_formatter()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)

    def access(self, resp, req, environ, request_time) -> None:
        """One `access` event per answered request (only when an access log is configured)."""
        if not self.access_log_enabled:
            return
        try:
            info = environ.get(ENVIRON_KEY) or {}
            status = getattr(resp, "status_code", None)
            if status is None:
                status = str(getattr(resp, "status", "") or "")[:3]
            fields = {
                "request_id": info.get("request_id") or environ.get("HTTP_X_REQUEST_ID", "")[:HEADER_MAX] or None,
                "user_id": info.get("user_id"),
                "method": environ.get("REQUEST_METHOD"),
                "path": environ.get("PATH_INFO", "")[:HEADER_MAX],
                "status": int(status) if str(status).isdigit() else None,
                "duration_ms": round(request_time.total_seconds() * 1000, 3),
                "bytes": getattr(resp, "sent", None),
                "remote_addr": environ.get("REMOTE_ADDR"),
                "user_agent": environ.get("HTTP_USER_AGENT", "")[:HEADER_MAX] or None,
                "protocol": environ.get("SERVER_PROTOCOL"),
            }
            self.access_log.info("access", extra=fields)
        except Exception:
            self.error(traceback.format_exc())


logging.getLogger("gunicorn.access").propagate = False  # gunicorn's own setting, kept explicit here
