"""The APIError hierarchy and the one JSON error shape: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from backend.common.request_context import current_request_id

log = logging.getLogger(__name__)
UNMIGRATED_PGCODES = {"42P01", "3F000"}  # undefined_table, invalid_schema_name


class APIError(Exception):
    """An error a client can act on; subclasses fix the status and code."""

    status = 400
    code = "bad_request"
    headers: dict[str, str] = {}  # extra response headers (e.g. Retry-After)

    def __init__(self, message: str, details: dict[str, Any] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code


class BadRequest(APIError):
    """Malformed request (not JSON, wrong content type)."""


class UnsupportedMediaType(APIError):
    """A body in a media type the route does not take (it takes JSON)."""

    status = 415
    code = "unsupported_media_type"


class ValidationFailed(APIError):
    """Well-formed input that breaks a rule; `details.fields` names each bad field."""

    status = 422
    code = "validation_error"


class Unauthorized(APIError):
    """No or bad credentials."""

    status = 401
    code = "unauthorized"


class Forbidden(APIError):
    """Authenticated, but the role may not do this."""

    status = 403
    code = "forbidden"


class NotFound(APIError):
    """Unknown id, or an object the caller may not see (we do not leak existence)."""

    status = 404
    code = "not_found"


class Conflict(APIError):
    """The request is valid but clashes with current state (taken slot, illegal transition)."""

    status = 409
    code = "conflict"


class PayloadTooLarge(APIError):
    """A request body over MAX_CONTENT_LENGTH (Content-Length or chunked)."""

    status = 413
    code = "payload_too_large"


class ServiceUnavailable(APIError):
    """A dependency (the database) is down or the host is draining; retry later."""

    status = 503
    code = "service_unavailable"
    headers = {"Retry-After": "5"}


class TooManyRequests(APIError):
    """A per-client cap is reached (e.g. open streams per account); retry later."""

    status = 429
    code = "too_many_requests"
    headers = {"Retry-After": "5"}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the one error shape."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def field_errors(exc: ValidationError, location: str = "body") -> dict[str, Any]:
    """Turn a pydantic ValidationError into {"fields": {"name": "problem"}, "location": ...}."""
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        name = ".".join(str(p) for p in err["loc"]) or location
        fields.setdefault(name, err["msg"])
    return {"location": location, "fields": fields}


def database_unavailable(exc: Exception) -> bool:
    """True for database errors that mean "down or overloaded, retry", not "this request is wrong".

    OperationalError covers refused connections, a missing file or table, SQLite's "database is
    locked" and PostgreSQL's statement timeout; InterfaceError a closed connection; a pool
    TimeoutError that every connection is busy; `connection_invalidated` a connection lost mid-call.
    PostgreSQL reports a missing table or schema (not migrated yet) as a ProgrammingError: that is
    the deployment's state, not the request's fault, so it is a 503 like SQLite's "no such table".
    """
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout)):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    return bool(exc.connection_invalidated) or getattr(exc.orig, "pgcode", None) in UNMIGRATED_PGCODES


def register_error_handlers(app: Flask) -> None:
    """Every error, ours or Werkzeug's, leaves as the one JSON shape; a 500 carries no traceback."""

    @app.errorhandler(APIError)
    def handle_api_error(exc: APIError):
        return jsonify(error_body(exc.code, exc.message, exc.details)), exc.status, exc.headers

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        code = "payload_too_large" if exc.code == 413 else (exc.name or "error").lower().replace(" ", "_")
        response = jsonify(error_body(code, exc.description or exc.name or "error"))
        response.status_code = exc.code or 500
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def handle_database_error(exc: Exception):
        if not database_unavailable(exc):
            return handle_unexpected(exc)
        # One line, no traceback: while the database is down every request would log one.
        orig = getattr(exc, "orig", None) or exc
        first_line = (str(orig).strip().splitlines() or [""])[0]
        log.error("database unavailable: %s: %s", type(orig).__name__, first_line)
        unavailable = ServiceUnavailable("the database is unavailable; retry later", code="database_unavailable")
        return handle_api_error(unavailable)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        log.exception("unhandled error")
        # The id ties the client's report to the logged traceback (backend/logs; docs/operations.md).
        return jsonify(error_body("internal_error", "internal server error",
                                  {"request_id": current_request_id()})), 500
