"""What an outbound call raises: the provider's own error types, each a clean 5xx for clients."""

from __future__ import annotations

from typing import Any

from backend.errors import APIError


class ProviderError(APIError):
    """A provider failed us; the client gets a 502 naming the provider (never its secrets)."""

    status = 502
    code = "provider_error"

    def __init__(self, provider: str, message: str, details: dict[str, Any] | None = None, **kw: Any):
        """`provider` is the spec name; it is always in `details`."""
        super().__init__(message, {"provider": provider, **(details or {})}, **kw)
        self.provider = provider


class ProviderNotConfigured(ProviderError):
    """No base URL / key configured for the provider: the feature is off, not broken."""

    status = 503
    code = "provider_not_configured"


class ProviderUnavailable(ProviderError):
    """The provider's circuit breaker is open: calls fail at once until it half-opens."""

    status = 503
    code = "provider_unavailable"
    headers = {"Retry-After": "30"}


class ProviderTimeout(ProviderError):
    """The call's deadline passed (connect, read or retries included)."""

    status = 504
    code = "provider_timeout"


class ProviderHTTPError(ProviderError):
    """The provider answered an error status (a 4xx at once, a 5xx/429 after the retries)."""

    code = "provider_http_error"

    def __init__(self, provider: str, upstream_status: int, retry_after: float | None = None):
        """Record the upstream status (and its Retry-After, for the retry wait)."""
        super().__init__(provider, f"{provider} answered HTTP {upstream_status}", {"upstream_status": upstream_status})
        self.upstream_status = upstream_status
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """429 and 5xx may succeed later; other statuses will not."""
        return self.upstream_status == 429 or self.upstream_status >= 500


class ProviderBadResponse(ProviderError):
    """The provider answered 2xx with a body we cannot use (not JSON, wrong shape)."""

    code = "provider_bad_response"
