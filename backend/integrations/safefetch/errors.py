"""What a refused or failed fetch raises: APIErrors in the house shape, so a route answers 4xx/5xx."""

from __future__ import annotations

from typing import Any

from backend.errors import APIError


class FetchRefused(APIError):
    """The URL (or a redirect hop) may not be fetched: 422, `code` is the reason (e.g. `private_address`).

    Raised before any byte is sent to the refused destination.
    """

    status = 422

    def __init__(self, reason: str, message: str, details: dict[str, Any] | None = None):
        """`reason` is the machine-readable code; it is also in `details.reason`."""
        super().__init__(message, {"reason": reason, **(details or {})}, code=reason)
        self.reason = reason


class FetchFailed(APIError):
    """The destination was allowed but the fetch did not give a usable page: 502 (504 for timeouts)."""

    status = 502

    def __init__(self, reason: str, message: str, details: dict[str, Any] | None = None, status: int | None = None):
        """`reason` is the code (`too_large`, `unsupported_content_type`, `connection_failed`, ...)."""
        super().__init__(message, {"reason": reason, **(details or {})}, code=reason)
        self.reason = reason
        if status is not None:
            self.status = status
