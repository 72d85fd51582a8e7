"""Hook points the core calls (outbound client, job runner, rate limits, L1); no-ops until installed.

Metrics (observability.metrics) and traces (observability.tracing) replace these module attributes
when they are turned on, so callers never import prometheus_client or opentelemetry themselves
and, with both off, pay one call to a no-op (~50 ns). Callers look the attribute up at call time
(`signals.outbound_done(...)`, never `from ... import outbound_done`), so installing takes effect.
Hooks never raise into the caller: the installed versions catch their own errors.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any


def _noop(*_args: Any, **_kwargs: Any) -> None:
    return None


def _no_span(*_args: Any, **_kwargs: Any) -> contextlib.AbstractContextManager:
    return contextlib.nullcontext()


# (provider, outcome, seconds, attempts): one finished outbound call; outcome is "ok" or an error code.
outbound_done: Callable[[str, str, float, int], None] = _noop
# (provider, state): a breaker changed state ("closed", "open", "half-open").
breaker_state: Callable[[str, str], None] = _noop
# (kind, outcome, seconds): one job attempt ended ("succeeded", "failed", "retrying", "aborted").
job_done: Callable[[str, str, float], None] = _noop
# (scope,): a request refused by a rate limit ("client", "ip", "route").
rate_limited: Callable[[str], None] = _noop
# (provider, method, path, headers) -> context manager: a span around one outbound call; it may add
# headers (W3C traceparent) to the dict it is given before the call sends them.
outbound_span: Callable[[str, str, str, dict], contextlib.AbstractContextManager] = _no_span
# (kind, job_id) -> context manager: a span around one job attempt.
job_span: Callable[[str, str], contextlib.AbstractContextManager] = _no_span


def reset() -> None:
    """Back to no-ops (tests that installed metrics or traces in-process)."""
    global outbound_done, breaker_state, job_done, rate_limited, outbound_span, job_span
    outbound_done = breaker_state = job_done = rate_limited = _noop
    outbound_span = job_span = _no_span
