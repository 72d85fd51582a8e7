"""Connection-pool figures for the insight: status now, and checkouts that had to wait.

SQLAlchemy has no "about to wait" pool event, so a QueuePool's `_do_get` is wrapped on the
instance (after `engine.dispose()` the new pool is wrapped again by an `engine_disposed` hook).
A checkout waits when the queue is empty and the overflow is used up; a wait that runs past
`pool_timeout` raises TimeoutError and is counted as a timeout too.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine


def pool_status(engine: Engine) -> dict[str, Any]:
    """What the engine's pool reports now (QueuePool: size, checked out/in, overflow)."""
    pool = engine.pool
    status: dict[str, Any] = {"pool_class": type(pool).__name__}
    for name, attr in (("size", "size"), ("checked_out", "checkedout"), ("checked_in", "checkedin"),
                       ("overflow", "overflow")):
        fn = getattr(pool, attr, None)
        if callable(fn):
            try:
                status[name] = int(fn())
            except Exception:  # pools without a queue (NullPool, StaticPool) lack some figures
                status[name] = None
    if status.get("overflow") is not None:
        status["overflow"] = max(0, status["overflow"])  # QueuePool counts from -size until full
    status["max_overflow"] = getattr(pool, "_max_overflow", None)
    status["timeout_s"] = getattr(pool, "_timeout", None)
    return status


def instrument_pool(insight: Any, pool: Any) -> None:
    """Wrap a QueuePool's checkout so `insight.count_checkout(waited, ms, timed_out)` sees each one."""
    if getattr(pool, "_sf_instrumented", False) or not hasattr(pool, "_max_overflow"):
        return
    original = pool._do_get

    def _do_get():
        waits = 0 <= pool._max_overflow <= pool._overflow and pool.checkedin() == 0
        started = time.perf_counter()
        timed_out = False
        try:
            return original()
        except sa_exc.TimeoutError:
            timed_out = True
            raise
        finally:
            insight.count_checkout(waits, (time.perf_counter() - started) * 1000.0, timed_out)

    pool._do_get = _do_get
    pool._sf_instrumented = True
