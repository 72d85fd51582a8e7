"""The request id (and who made the request) of the work being done, readable anywhere.

Set by the request-log middleware (backend/logs/middleware.py) in front of every request, cache
hits answered before Flask included, and read by the error handler (the house 500 carries the
id) and by the JSON log renderer (every line of a request carries it). A ContextVar, so gthread
workers and nested app contexts each see their own request.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

# {"request_id", "method", "path", "user_id"} of the request being served, or None outside one.
REQUEST: ContextVar[dict[str, Any] | None] = ContextVar("sf_request", default=None)


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    info = REQUEST.get()
    return info["request_id"] if info is not None else None


def set_user(user_id: int | None) -> None:
    """Record the signed-in account of the current request (authentication calls it)."""
    info = REQUEST.get()
    if info is not None:
        info["user_id"] = user_id
