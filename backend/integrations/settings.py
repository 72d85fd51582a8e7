"""What a domain declares about a provider, and the settings read for it from configuration.

Settings come from configuration (app config, else the environment): `<PREFIX>_BASE_URL`,
`<PREFIX>_API_KEY`, `<PREFIX>_CONNECT_TIMEOUT`, `<PREFIX>_READ_TIMEOUT`, `<PREFIX>_DEADLINE`,
`<PREFIX>_ATTEMPTS`, `<PREFIX>_BACKOFF`, `<PREFIX>_MAX_RETRY_AFTER`, `<PREFIX>_BREAKER_FAILURES`,
`<PREFIX>_BREAKER_RESET`. A provider without a base URL is "not configured". An administrator's
stored key (and base URL) overrides the configured ones (backend/integrations/credentials.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class RetryPolicy:
    """Retries on transient failures: `attempts` in all, waiting backoff * 2**(n-1) (+ jitter)."""

    attempts: int = 3  # the house default: 3 attempts waiting 1 s, then 2 s
    backoff: float = 1.0
    jitter: float = 0.25  # up to this many seconds added at random, so clients do not retry in step
    max_retry_after: float = 10.0  # a provider's Retry-After is honoured up to this


@dataclass(frozen=True)
class ProviderSpec:
    """A provider as a domain declares it; `settings(config)` resolves it against configuration."""

    name: str
    prefix: str  # configuration/environment prefix, e.g. "OPENAI" -> OPENAI_BASE_URL, OPENAI_API_KEY
    base_url: str | None = None  # a default (e.g. a public API's well-known URL); None = must be configured
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"  # the key is sent as "<scheme> <key>" (empty scheme: the key alone)
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    deadline: float = 20.0  # the whole call, retries and waits included
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker_failures: int = 5
    breaker_reset: float = 30.0
    pool_size: int = 10


@dataclass(frozen=True)
class ProviderSettings:
    """A spec with its configured values; `api_key` is never shown in reprs or logs."""

    spec: ProviderSpec
    base_url: str | None
    api_key: str | None = field(repr=False)
    connect_timeout: float
    read_timeout: float
    deadline: float
    retry: RetryPolicy
    breaker_failures: int
    breaker_reset: float
    key_source: str | None = None  # "admin" (a stored override), "config", or None (no key)

    @property
    def configured(self) -> bool:
        """True when there is somewhere to call."""
        return bool(self.base_url)


def config_value(config: Mapping[str, Any], key: str) -> Any:
    """`key` from app config, else the environment; None when unset or empty."""
    value = config.get(key)
    if value in (None, ""):
        value = os.environ.get(key, "").strip() or None
    return value


def _number(config: Mapping[str, Any], key: str, default: float, kind: type = float) -> Any:
    raw = config_value(config, key)
    if raw is None:
        return default
    try:
        return kind(raw)
    except (TypeError, ValueError):
        raise RuntimeError(f"{key} must be a number, got {raw!r}") from None


def resolve(spec: ProviderSpec, config: Mapping[str, Any], override: Any = None) -> ProviderSettings:
    """The spec's settings from app config (then the environment), defaults from the spec.

    An admin's `override` (api_key, base_url) wins over both.
    """
    p = spec.prefix
    retry = replace(spec.retry,
                    attempts=max(1, _number(config, f"{p}_ATTEMPTS", spec.retry.attempts, int)),
                    backoff=_number(config, f"{p}_BACKOFF", spec.retry.backoff),
                    max_retry_after=_number(config, f"{p}_MAX_RETRY_AFTER", spec.retry.max_retry_after))
    base_url = config_value(config, f"{p}_BASE_URL") or spec.base_url
    api_key = config_value(config, f"{p}_API_KEY")
    source = "config" if api_key else None
    if override is not None:
        api_key, source = override.api_key, "admin"
        base_url = override.base_url or base_url
    return ProviderSettings(
        spec=spec, base_url=base_url.rstrip("/") if base_url else None, api_key=api_key, key_source=source,
        connect_timeout=_number(config, f"{p}_CONNECT_TIMEOUT", spec.connect_timeout),
        read_timeout=_number(config, f"{p}_READ_TIMEOUT", spec.read_timeout),
        deadline=_number(config, f"{p}_DEADLINE", spec.deadline), retry=retry,
        breaker_failures=_number(config, f"{p}_BREAKER_FAILURES", spec.breaker_failures, int),
        breaker_reset=_number(config, f"{p}_BREAKER_RESET", spec.breaker_reset))
