"""Prometheus metrics: per-request WSGI middleware, pool and insight figures, the core's signals.

`Metrics.init_app(app)` (METRICS_ENABLED, default on) points prometheus_client at the host's
multiprocess directory (observability.multiproc), wraps the whole WSGI stack in `RequestMetrics`
(outermost: it sees L1 hits, 429s and 413s too) and installs the signal hooks (outbound calls,
breaker state, jobs, rate limits). Scraping happens elsewhere: the gunicorn master serves `/metrics`
on METRICS_BIND; the admin JSON views read the same files (observability.readout).

Hot path, per request (measured in docs/performance.md, "Metrics and traces cost": ~6.5 us on the
loaded box, ~2-3% of a cached request's CPU): two clock reads, the start_response wrapper, a
thread-local swap and one row of plain counters in this process's tally (observability.tally),
which a thread writes to the multiprocess files once a second. The endpoint, statements and DB
time come from the request observers of observability.timing, which also fire for L1 hits; the
endpoint becomes its URL rule at flush time. Pool figures and the insight's pool-wait counters are
copied at each flush (no work per checkout).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, g, request

from backend.observability import multiproc, signals
from backend.observability.routes import RouteNames
from backend.observability.tally import Tally, register

log = logging.getLogger(__name__)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_last = threading.local()  # (endpoint, statements, db ms) of the request this thread is answering


def _observe(endpoint: str, statements: int, db_ms: float) -> None:
    """The request observer: hand the request's figures to the middleware (same thread)."""
    _last.value = (endpoint, statements, db_ms)


class Children:
    """Label children of one family, cached by label tuple (bounded: every label is a vocabulary)."""

    def __init__(self, family: Any):
        self.family = family
        self.cache: dict[tuple, Any] = {}

    def __call__(self, *labels: str) -> Any:
        """The child for `labels` (created once)."""
        child = self.cache.get(labels)
        if child is None:
            child = self.cache[labels] = self.family.labels(*labels)
        return child


class RequestMetrics:
    """WSGI middleware: count and time every request into this process's tally."""

    def __init__(self, wsgi_app: Callable, tally: Tally):
        self.wsgi_app = wsgi_app
        self.tally = tally

    def __call__(self, environ: dict, start_response: Callable):
        """Answer through the app, then record what happened (never raising into the response)."""
        started = time.perf_counter()
        tally = self.tally
        tally.active += 1
        seen: list[str] = []

        def start(status: str, headers: list, exc_info=None):
            seen.append(status)
            return start_response(status, headers, exc_info)

        _last.value = None
        try:
            return self.wsgi_app(environ, start)
        finally:
            tally.active -= 1
            try:
                last = _last.value
                method = environ.get("REQUEST_METHOD")
                key = (method if method in METHODS else "OTHER", last[0] if last else None,
                       seen[-1][:3] if seen else "500", environ.get("sf.cache"))
                if last is None:
                    tally.add(key, time.perf_counter() - started, 0, 0.0)
                else:
                    tally.add(key, time.perf_counter() - started, last[1], last[2] / 1000.0)
            except Exception:  # metrics must never cost a response
                log.exception("metrics: could not record a request")


class PoolFigures:
    """Copies the pool's status and the insight's checkout/wait counters into the metrics (each flush)."""

    def __init__(self, engine: Any, insight: Any):
        from backend.observability import families as f

        self.engine, self.insight, self.f = engine, insight, f
        self.seen = {"checkouts": 0, "waits": 0, "wait_ms": 0.0, "timeouts": 0}
        self.reported: dict[str, int] = {}

    def __call__(self) -> None:
        """Pool gauges when they changed; counters by the increase since the last call."""
        from backend.observability.pool import pool_status

        f = self.f
        status = pool_status(self.engine)
        for state in ("size", "checked_out", "overflow"):
            value = status.get(state)
            if value is not None and self.reported.get(state) != value:
                f.db_pool.labels(state).set(value)
                self.reported[state] = value
        if self.insight is None:
            return
        pool = dict(self.insight.pool)
        for key, counter, scale in (("checkouts", f.db_pool_checkouts, 1), ("waits", f.db_pool_waits, 1),
                                    ("wait_ms", f.db_pool_wait_seconds, 1000.0),
                                    ("timeouts", f.db_pool_timeouts, 1)):
            now = pool.get(key, 0)
            delta = now - self.seen[key] if now >= self.seen[key] else now  # the insight was reset
            if delta:
                counter.inc(delta / scale)
            self.seen[key] = now


def _install_signals() -> None:
    """Point the core's hooks at the metric families (process-wide, like the families themselves)."""
    from backend.observability import families as f

    outcomes, durations, retries = Children(f.outbound_requests), Children(f.outbound_duration), \
        Children(f.outbound_retries)
    job_counts, job_durations, limited = Children(f.jobs), Children(f.job_duration), Children(f.rate_limited)

    def outbound_done(provider: str, outcome: str, seconds: float, attempts: int) -> None:
        try:
            outcomes(provider, outcome).inc()
            durations(provider).observe(seconds)
            if attempts > 1:
                retries(provider).inc(attempts - 1)
        except Exception:
            log.exception("metrics: could not record an outbound call")

    def breaker_state(provider: str, state: str) -> None:
        try:
            f.breaker_state.labels(provider).set(f.BREAKER_VALUES.get(str(state), 2))
        except Exception:
            log.exception("metrics: could not record a breaker state")

    def job_done(kind: str, outcome: str, seconds: float) -> None:
        from backend.jobs.registry import HANDLERS

        try:
            kind = kind if kind in HANDLERS else "unknown"
            job_counts(kind, outcome).inc()
            job_durations(kind).observe(seconds)
        except Exception:
            log.exception("metrics: could not record a job")

    def rate_limited(scope: str) -> None:
        try:
            limited(scope).inc()
        except Exception:
            log.exception("metrics: could not record a rate-limit refusal")

    signals.outbound_done, signals.breaker_state = outbound_done, breaker_state
    signals.job_done, signals.rate_limited = job_done, rate_limited


def _cache_state(response: Any) -> Any:
    """after_request: tell the middleware what the view cache did (hit, miss, off)."""
    state = g.get("cache_state")
    if state is not None:
        request.environ["sf.cache"] = state
    return response


class Metrics:
    """Extension object: `metrics.init_app(app)` last in create_app (outermost middleware)."""

    key = "observability.metrics"
    _signals_installed = False  # the families and hooks are process-wide: install them once

    def init_app(self, app: Flask) -> RequestMetrics | None:
        """Install the middleware and hooks when METRICS_ENABLED; returns the middleware (or None)."""
        if not app.config.get("METRICS_ENABLED", True):
            return None
        multiproc.configure(app.config.get("METRICS_DIR"))
        from backend.extensions import db
        from backend.observability.insight import InsightExtension
        from backend.observability.timing import QueryTiming

        if not Metrics._signals_installed:
            _install_signals()
            # A process that exits drops its live gauges (gunicorn's child_exit also covers killed workers).
            atexit.register(lambda pid=os.getpid(): multiproc.mark_dead(pid) if os.getpid() == pid else None)
            Metrics._signals_installed = True
        from backend.observability import families

        with app.app_context():
            engine = db.engine
        QueryTiming.state(app).request_observers.append(_observe)
        app.after_request(_cache_state)
        l1 = getattr(app.extensions.get("caching"), "l1", None)
        tally = Tally(families, float(app.config.get("METRICS_FLUSH_SECONDS", 1.0)),
                      PoolFigures(engine, app.extensions.get(InsightExtension.key)), route=RouteNames(app),
                      l1_installed=l1 is not None)
        register(tally)
        middleware = RequestMetrics(app.wsgi_app, tally)
        app.wsgi_app = middleware
        app.extensions[self.key] = middleware
        return middleware


def refresh_jobs(app: Flask) -> None:
    """The job worker's loop: queue depth (Huey) and queued/running rows (the jobs table)."""
    from sqlalchemy import func, select

    from backend.extensions import db
    from backend.jobs.extension import Jobs
    from backend.jobs.models import Job, JobStatus
    from backend.observability import families as f

    f.job_queue_depth.set(Jobs.state(app).huey.pending_count())
    with app.app_context():
        rows = dict(db.session.execute(
            select(Job.status, func.count()).where(Job.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value]))
            .group_by(Job.status)).all())
        db.session.remove()
    for status in (JobStatus.QUEUED.value, JobStatus.RUNNING.value):
        f.job_rows.labels(status).set(rows.get(status, 0))
