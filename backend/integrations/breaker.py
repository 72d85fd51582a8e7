"""Circuit breakers per provider (pybreaker), shared by every worker through Redis when configured.

DESIGN rule 7: a breaker that lives in one worker lets the other workers keep paying for a dead
provider. With REDIS_URL the state, counters and opening time live in Redis (keys
`<prefix>breaker:<provider>:*`); without it, or while Redis itself fails, each process keeps its
own (a Redis failure never reaches the request: the breaker falls back to memory for a few
seconds and tries Redis again).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import pybreaker

from backend.observability import signals

log = logging.getLogger(__name__)
REDIS_RETRY_AFTER = 5.0


class SharedStorage(pybreaker.CircuitBreakerStorage):
    """pybreaker state in Redis, with a per-process fallback while Redis fails."""

    def __init__(self, client: Any, namespace: str):
        """Keys live under `namespace`; `client` is a redis.Redis with short socket timeouts."""
        super().__init__("redis")
        self._client = client
        self._ns = namespace
        self._memory = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
        self._down_until = 0.0

    def _redis(self, fn, fallback):
        if time.monotonic() < self._down_until:
            return fallback()
        try:
            return fn(self._client)
        except Exception as exc:  # redis.RedisError, OSError: use this process's memory for a while
            log.warning("circuit breaker %s: redis unavailable, using per-process state: %s", self._ns, exc)
            self._down_until = time.monotonic() + REDIS_RETRY_AFTER
            return fallback()

    def _key(self, name: str) -> str:
        return f"{self._ns}:{name}"

    @property
    def state(self) -> str:
        """The shared state (closed, open, half-open)."""
        raw = self._redis(lambda r: r.get(self._key("state")), lambda: None)
        if raw is None:
            return self._memory.state
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    @state.setter
    def state(self, state: str) -> None:
        self._memory.state = state
        self._redis(lambda r: r.set(self._key("state"), state), lambda: None)

    def increment_counter(self) -> None:
        """One more failure."""
        self._memory.increment_counter()
        self._redis(lambda r: r.incr(self._key("failures")), lambda: None)

    def reset_counter(self) -> None:
        """Failures back to zero."""
        self._memory.reset_counter()
        self._redis(lambda r: r.set(self._key("failures"), 0), lambda: None)

    def increment_success_counter(self) -> None:
        """One more success (half-open)."""
        self._memory.increment_success_counter()
        self._redis(lambda r: r.incr(self._key("successes")), lambda: None)

    def reset_success_counter(self) -> None:
        """Successes back to zero."""
        self._memory.reset_success_counter()
        self._redis(lambda r: r.set(self._key("successes"), 0), lambda: None)

    @property
    def counter(self) -> int:
        """Failures counted (by every worker)."""
        return int(self._redis(lambda r: r.get(self._key("failures")) or 0, lambda: self._memory.counter))

    @property
    def success_counter(self) -> int:
        """Successes counted while half-open."""
        return int(self._redis(lambda r: r.get(self._key("successes")) or 0, lambda: self._memory.success_counter))

    @property
    def opened_at(self) -> dt.datetime | None:
        """When the breaker last opened (UTC)."""
        raw = self._redis(lambda r: r.get(self._key("opened_at")), lambda: None)
        if raw is None:
            return self._memory.opened_at
        return dt.datetime.fromtimestamp(float(raw), dt.UTC)

    @opened_at.setter
    def opened_at(self, when: dt.datetime) -> None:
        self._memory.opened_at = when
        self._redis(lambda r: r.set(self._key("opened_at"), when.timestamp()), lambda: None)


class StateSignal(pybreaker.CircuitBreakerListener):
    """Tells observability (metrics) about each state change of a breaker."""

    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        """Forward the new state's name (closed, open, half-open)."""
        signals.breaker_state(cb.name, getattr(new_state, "name", str(new_state)))


def make_breaker(name: str, failures: int, reset_seconds: float, redis_client: Any = None,
                 prefix: str = "sf:", exclude: list | None = None) -> pybreaker.CircuitBreaker:
    """A breaker that opens after `failures` consecutive failures and half-opens after `reset_seconds`."""
    storage = SharedStorage(redis_client, f"{prefix}breaker:{name}") if redis_client is not None else None
    return pybreaker.CircuitBreaker(fail_max=max(1, failures), reset_timeout=reset_seconds, name=name,
                                    state_storage=storage, exclude=exclude or [], throw_new_error_on_trip=False,
                                    listeners=[StateSignal()])
