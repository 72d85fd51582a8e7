"""The one way to call an external HTTP API (translation, OCR, LLMs, Slack, Cloudflare, ...).

- `settings`: `ProviderSpec`, what a domain declares about a provider (name, env prefix, defaults);
  its settings come only from configuration (`<PREFIX>_BASE_URL`, `<PREFIX>_API_KEY`, ...).
- `client`: `OutboundClient`, a pooled `requests.Session` per provider with connect/read timeouts,
  a hard per-call deadline, tenacity retries on transient failures only and a circuit breaker.
- `breaker`: pybreaker breakers whose state is shared by every worker through Redis when
  REDIS_URL is set (per process otherwise, and while Redis fails).
- `errors`: what a call raises; each is an APIError, so one escaping a route is a clean 502/503/504.
- `extension`: `Integrations` (`integrations.client("name")`, `integrations.status()`).
- `fakes`: a loopback fake provider for tests: slow, flaky, garbage, refusing.
"""

from backend.integrations.errors import (
    ProviderBadResponse,
    ProviderError,
    ProviderHTTPError,
    ProviderNotConfigured,
    ProviderTimeout,
    ProviderUnavailable,
)
from backend.integrations.extension import Integrations, client_for
from backend.integrations.settings import ProviderSpec, RetryPolicy

__all__ = [
    "Integrations", "ProviderBadResponse", "ProviderError", "ProviderHTTPError", "ProviderNotConfigured",
    "ProviderSpec", "ProviderTimeout", "ProviderUnavailable", "RetryPolicy", "client_for",
]
