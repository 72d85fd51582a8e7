"""`OutboundClient`: one provider's pooled session, timeouts, deadline, retries and breaker.

A call is: check the breaker (open: ProviderUnavailable in microseconds) -> attempts under one
deadline (`deadline.deadline` cuts the sockets when it passes) -> each attempt sends with
(connect, read) timeouts no longer than what is left, reads the body in chunks checking the
deadline -> transient failures (connection errors, timeouts, 429, 5xx) are retried by tenacity
with exponential backoff and jitter, a capped Retry-After taking precedence, never sleeping past
the deadline; a non-idempotent POST is retried only with an idempotency key. Every failed attempt
logs one warning (provider, method, path without its query, attempt, status or error, wait);
the last failure raises the provider's own error type.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import orjson
import pybreaker
import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception

from backend.integrations.errors import (
    ProviderBadResponse,
    ProviderError,
    ProviderHTTPError,
    ProviderNotConfigured,
    ProviderTimeout,
    ProviderUnavailable,
)
from backend.integrations.settings import ProviderSettings
from backend.integrations.watchdog import POOL_CLASSES, deadline
from backend.observability import signals

log = logging.getLogger(__name__)
IDEMPOTENT_METHODS = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}
CHUNK = 65536


class _Transient(Exception):
    """An attempt failed in a way another attempt may not (wraps the provider error to raise)."""

    def __init__(self, error: ProviderError, retry_after: float | None = None):
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent or odd."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class OutboundClient:
    """Calls one provider; build it through `Integrations.client(name)` (it owns the session)."""

    def __init__(self, settings: ProviderSettings, breaker: pybreaker.CircuitBreaker,
                 sleep: Callable[[float], None] = time.sleep):
        """`sleep` is injectable so tests can record the waits between attempts."""
        self.settings = settings
        self.name = settings.spec.name
        self.breaker = breaker
        self.sleep = sleep
        self.last_call: dict[str, Any] | None = None  # this process's most recent call (health/dependencies)
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=settings.spec.pool_size, max_retries=0)
        adapter.poolmanager.pool_classes_by_scheme = POOL_CLASSES  # the deadline can cut its sockets
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __repr__(self) -> str:
        """Name and base URL only: never the key."""
        return f"<OutboundClient {self.name} {self.settings.base_url}>"

    def request_json(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                     headers: dict | None = None, idempotency_key: str | None = None,
                     idempotent: bool | None = None, data: bytes | None = None) -> Any:
        """The decoded JSON body of a successful call (ProviderBadResponse when it is not JSON)."""
        body = self.request(method, path, json=json, params=params, headers=headers,
                            idempotency_key=idempotency_key, idempotent=idempotent, data=data)
        try:
            return orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            raise ProviderBadResponse(self.name, f"{self.name} answered a body that is not JSON") from None

    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                headers: dict | None = None, idempotency_key: str | None = None,
                idempotent: bool | None = None, data: bytes | None = None) -> bytes:
        """The body of a successful (2xx) call; raises a ProviderError subclass otherwise.

        `data` is a ready-made body (e.g. a form, with its Content-Type in `headers`) for providers
        that do not take JSON; `json` wins when both are given.
        """
        if not self.settings.configured:
            raise ProviderNotConfigured(self.name, f"{self.name} is not configured "
                                                   f"(set {self.settings.spec.prefix}_BASE_URL)")
        method = method.upper()
        retryable = idempotent if idempotent is not None else (method in IDEMPOTENT_METHODS or bool(idempotency_key))
        sent_headers = self._headers(headers, idempotency_key)
        data = orjson.dumps(json) if json is not None else data
        started = time.monotonic()
        ends = started + self.settings.deadline
        attempts = [0]

        def attempt() -> bytes:
            attempts[0] += 1
            return self._attempt(method, path, params, sent_headers, data, ends)

        retrying = Retrying(
            retry=retry_if_exception(lambda exc: isinstance(exc, _Transient) and retryable),
            wait=self._wait, stop=lambda rs: self._stop(rs, ends), sleep=self.sleep, reraise=True,
            before_sleep=lambda rs: self._log_retry(rs, method, path))
        # The span (traces on) adds W3C `traceparent` to sent_headers before the first attempt.
        with signals.outbound_span(self.name, method, path, sent_headers):
            try:
                body = retrying(attempt)
            except _Transient as exc:
                error = exc.error
                if time.monotonic() >= ends and not isinstance(exc.error, ProviderHTTPError):
                    error = ProviderTimeout(self.name,
                                            f"{self.name} did not answer within {self.settings.deadline:g} s")
                self._note(started, error, attempts[0])
                raise error from None
            except ProviderError as exc:
                self._note(started, exc, attempts[0])
                raise
        self._note(started, None, attempts[0])
        return body

    def _note(self, started: float, error: ProviderError | None, attempts: int) -> None:
        """Keep this process's last call for GET /health/dependencies (one dict swap, no lock needed); metrics."""
        seconds = time.monotonic() - started
        self.last_call = {"at": time.time(), "latency_ms": round(seconds * 1000, 1),
                          "error": error.message if error is not None else None}
        signals.outbound_done(self.name, "ok" if error is None else error.code, seconds, attempts)

    def _headers(self, extra: dict | None, idempotency_key: str | None) -> dict:
        headers = {"Accept": "application/json", "Content-Type": "application/json", **(extra or {})}
        if self.settings.api_key:
            scheme = self.settings.spec.auth_scheme
            headers[self.settings.spec.auth_header] = f"{scheme} {self.settings.api_key}" if scheme else \
                self.settings.api_key
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def _attempt(self, method: str, path: str, params: dict | None, headers: dict, data: bytes | None,
                 ends: float) -> bytes:
        """One try, under the breaker and the deadline."""
        left = ends - time.monotonic()
        if left <= 0:
            raise _Transient(ProviderTimeout(self.name, f"{self.name}: deadline passed"))
        try:
            with self.breaker.calling(), deadline(left):
                return self._send(method, path, params, headers, data, ends, left)
        except pybreaker.CircuitBreakerError:
            raise ProviderUnavailable(self.name, f"{self.name} is failing; calls are paused (circuit open)") from None

    def _send(self, method: str, path: str, params: dict | None, headers: dict, data: bytes | None,
              ends: float, left: float) -> bytes:
        # An empty path is the base URL itself (a Slack incoming webhook is one full URL, no trailing slash).
        url = f"{self.settings.base_url}/{path.lstrip('/')}" if path else self.settings.base_url
        timeout = (min(self.settings.connect_timeout, left), min(self.settings.read_timeout, left))
        try:
            response = self.session.request(method, url, params=params, headers=headers, data=data,
                                            timeout=timeout, stream=True, allow_redirects=False)
            try:
                body = self._read(response, ends)
            finally:
                response.close()
        except requests.Timeout:
            raise _Transient(ProviderTimeout(self.name, f"{self.name} did not answer in time")) from None
        except (requests.RequestException, OSError) as exc:  # incl. a body cut by the deadline
            if time.monotonic() >= ends:
                raise _Transient(ProviderTimeout(self.name, f"{self.name}: deadline passed")) from None
            raise _Transient(ProviderError(self.name, f"{self.name} could not be reached: "
                                                      f"{type(exc).__name__}")) from None
        if response.status_code >= 300:
            retry_after = _retry_after(response.headers.get("Retry-After"))
            error = ProviderHTTPError(self.name, response.status_code, retry_after)
            if error.transient:
                raise _Transient(error, error.retry_after)
            raise error  # a 4xx will not change on retry; it does not count against the breaker either
        return body

    def _read(self, response: requests.Response, ends: float) -> bytes:
        parts = []
        for chunk in response.iter_content(CHUNK):
            parts.append(chunk)
            if time.monotonic() >= ends:
                raise requests.Timeout("deadline passed while reading the body")
        return b"".join(parts)

    def _wait(self, state: RetryCallState) -> float:
        """Retry-After (capped) when the provider gave one; else backoff * 2**(n-1) plus jitter."""
        policy = self.settings.retry
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return min(exc.retry_after, policy.max_retry_after)
        return policy.backoff * 2 ** (state.attempt_number - 1) + random.uniform(0, policy.jitter)

    def _stop(self, state: RetryCallState, ends: float) -> bool:
        """Stop after the policy's attempts, or when the next wait would end past the deadline."""
        return (state.attempt_number >= self.settings.retry.attempts
                or time.monotonic() + state.upcoming_sleep >= ends)

    def _log_retry(self, state: RetryCallState, method: str, path: str) -> None:
        exc = state.outcome.exception() if state.outcome else None
        reason = exc.error.message if isinstance(exc, _Transient) else repr(exc)
        log.warning("provider %s: %s %s attempt %d failed (%s); retrying in %.2f s", self.name, method,
                    path.split("?", 1)[0], state.attempt_number, reason, state.upcoming_sleep)
