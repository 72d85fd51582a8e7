"""In-app insight: a slow-query log, per-endpoint DB stats and pool waits, shared across workers.

Hot path (what every request and statement pays):
- per statement: one thread-local assignment (the parameters, in case the statement turns out
  slow) and one comparison against SLOW_QUERY_MS; normalising happens only for slow ones;
- per request: one dict update under a lock (a request observer of observability.timing).

Never on the request path: EXPLAIN and file I/O. Each new slow statement shape queues one
EXPLAIN job (with the parameters of that execution); a background thread takes those plans on
its own connection and writes this worker's snapshot file at most every INSIGHT_FLUSH_SECONDS
(see insight_store for how workers' files are merged). Admin reads take pending plans first.

Only processes that have served a request write files (a CLI command's statements stay its own).

Bounds: at most INSIGHT_MAX_STATEMENTS slow statement shapes per worker (the least total time
is evicted), at most MAX_PENDING queued plans, endpoints are bounded by the url map.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine

from backend.observability import store
from backend.observability.pool import instrument_pool, pool_status
from backend.observability.sqlplan import explain, first_parameters, is_explainable, normalise_sql, statement_id
from backend.observability.timing import QueryTiming

log = logging.getLogger(__name__)

OWN = "sf_insight"  # execution option marking the insight's own connections (never logged)
MAX_PENDING = 50
NORMALISED_CACHE = 1000
TICK = 0.5

_last = threading.local()  # (statement, parameters) of this thread's latest statement
_instances: weakref.WeakSet[Insight] = weakref.WeakSet()
_flusher_lock = threading.Lock()
_flusher_pid = 0
_process_hooks = False  # atexit / at-fork hooks, registered by the first init_app, not at import


class Insight:
    """One app's insight data in this process; `snapshot()` is what its worker file holds."""

    def __init__(self, engine: Engine, config: dict[str, Any]):
        self.engine = engine
        self.threshold_ms = float(config["SLOW_QUERY_MS"])
        self.max_statements = max(1, int(config["INSIGHT_MAX_STATEMENTS"]))
        self.flush_seconds = float(config["INSIGHT_FLUSH_SECONDS"])
        self.directory = Path(config["INSIGHT_DIR"]) if config.get("INSIGHT_DIR") else None
        # One flush at a time: the background flusher and an explicit flush racing on a first write
        # both took our fresh file for a dead process's and folded it into the archive (counted twice).
        self._flush_lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything (a forked child starts empty: its parent's data is the parent's)."""
        self._lock = threading.Lock()
        self._explain_lock = threading.Lock()  # a second caller waits for plans being taken
        self.endpoints: dict[str, list[float]] = {}  # requests, statements, statements max, db ms, db ms max
        self.slow: dict[str, dict[str, Any]] = {}
        self.pool = store.empty_snapshot()["pool"]
        self._pending: dict[str, tuple[str, Any]] = {}
        self._normalised: dict[str, tuple[str, str]] = {}
        self.dirty = False
        self._written = False
        self._warned = False
        self._last_flush = 0.0

    def record_request(self, endpoint: str, statements: int, db_ms: float) -> None:
        """Add one request's statement count and DB time to its endpoint (the per-request hook)."""
        with self._lock:
            row = self.endpoints.get(endpoint)
            if row is None:
                row = self.endpoints[endpoint] = [0, 0, 0, 0.0, 0.0]
            row[0] += 1
            row[1] += statements
            row[3] += db_ms
            if statements > row[2]:
                row[2] = statements
            if db_ms > row[4]:
                row[4] = db_ms
            self.dirty = True

    def record_statement(self, statement: str, ms: float, conn: Any) -> None:
        """Count one slow execution under its normalised shape; queue a plan for a new shape."""
        if conn.get_execution_options().get(OWN):
            return
        shape = self._normalised.get(statement)
        if shape is None:
            sql = normalise_sql(statement)
            shape = (statement_id(sql), sql)
            if len(self._normalised) >= NORMALISED_CACHE:
                self._normalised.clear()
            self._normalised[statement] = shape
        key, sql = shape
        now = time.time()
        with self._lock:
            entry = self.slow.get(key)
            if entry is None:
                if len(self.slow) >= self.max_statements:
                    self._evict()
                entry = self.slow[key] = {"sql": sql, "count": 0, "total_ms": 0.0, "max_ms": 0.0,
                                          "last_seen": now, "plan": None, "plan_error": None}
                self._queue_plan(key, statement)
            entry["count"] += 1
            entry["total_ms"] += ms
            entry["last_seen"] = now
            if ms > entry["max_ms"]:
                entry["max_ms"] = ms
            self.dirty = True

    def _queue_plan(self, key: str, statement: str) -> None:
        if not is_explainable(statement):
            return
        last = getattr(_last, "value", None)
        if last is None or last[0] is not statement:
            self.slow[key]["plan_error"] = "parameters of the execution were not captured"
        elif len(self._pending) < MAX_PENDING:
            self._pending[key] = (statement, first_parameters(last[1]))

    def _evict(self) -> None:
        """Drop the shape with the least total time (called with the lock held)."""
        victim = min(self.slow, key=lambda k: self.slow[k]["total_ms"])
        del self.slow[victim]
        self._pending.pop(victim, None)

    def take_plans(self) -> None:
        """Run queued EXPLAINs on a connection of our own (each rolled back); failures are recorded."""
        with self._explain_lock:
            with self._lock:
                jobs, self._pending = self._pending, {}
            if jobs:
                self._explain(jobs)

    def _explain(self, jobs: dict[str, tuple[str, Any]]) -> None:
        results: dict[str, tuple[list[str] | None, str | None]] = {}
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{OWN: True})
                for key, (statement, parameters) in jobs.items():
                    try:
                        results[key] = (explain(conn, statement, parameters), None)
                    except Exception as exc:  # a plan is best effort: record why, never raise
                        results[key] = (None, f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        except Exception as exc:
            log.warning("insight: could not take query plans: %s", exc)
            results = {key: (None, f"no connection: {type(exc).__name__}") for key in jobs}
        with self._lock:
            for key, (plan, error) in results.items():
                entry = self.slow.get(key)
                if entry is not None:
                    entry["plan"], entry["plan_error"] = plan, error
            self.dirty = True

    def count_checkout(self, waited: bool, ms: float, timed_out: bool) -> None:
        """Record one pool checkout (and whether it had to wait for a connection)."""
        with self._lock:
            self.pool["checkouts"] += 1
            if waited:
                self.pool["waits"] += 1
                self.pool["wait_ms"] += ms
                self.pool["wait_ms_max"] = max(self.pool["wait_ms_max"], ms)
                self.pool["timeouts"] += int(timed_out)
                self.dirty = True

    def snapshot(self) -> dict[str, Any]:
        """This worker's cumulative data, in the shape of a worker file."""
        status = pool_status(self.engine)
        with self._lock:
            endpoints = {name: {"requests": r[0], "statements": r[1], "statements_max": r[2], "db_ms": r[3],
                                "db_ms_max": r[4]} for name, r in self.endpoints.items()}
            slow = {key: dict(entry) for key, entry in self.slow.items()}
            pool = dict(self.pool)
        return {"pid": os.getpid(), "written_at": time.time(), "endpoints": endpoints, "slow_queries": slow,
                "pool": pool, "pool_status": status}

    def due(self, now: float) -> bool:
        """True when plans are queued or this worker's file should be rewritten now."""
        return bool(self._pending) or (self.dirty and now - self._last_flush >= self.flush_seconds)

    def flush(self) -> None:
        """Rewrite this worker's snapshot file (atomically); a no-op without INSIGHT_DIR."""
        if self.directory is None or not self.endpoints:
            return  # only processes that serve requests share (a CLI command's data stays its own)
        with self._flush_lock:
            self._flush()

    def _flush(self) -> None:
        self.dirty = False  # before the snapshot: a concurrent update marks it dirty again
        self._last_flush = time.monotonic()
        path = self.directory / f"{os.getpid()}.json"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if not self._written and path.exists():  # left by a dead process that had our pid
                with store.locked(self.directory):
                    old = store.read_json(path)
                    store.fold_into_archive(self.directory, [old] if old else [], [path], self.max_statements)
            store.write_json(path, self.snapshot())
            self._written = True
        except OSError as exc:
            self.dirty = True
            if not self._warned:  # once: a read-only directory would otherwise log every flush
                self._warned = True
                log.warning("insight: could not write %s: %s", path, exc)

    def merged(self) -> dict[str, Any]:
        """Every worker's data merged with ours (live), plans taken first."""
        self.take_plans()
        others = store.load_others(self.directory, os.getpid(), self.max_statements) if self.directory else []
        return store.merge_snapshots([self.snapshot(), *others])

    def retire(self) -> None:
        """At exit: fold our data into the archive and remove our file."""
        if self.directory is not None and self.endpoints:
            store.retire(self.directory, self.snapshot(), self.max_statements)


def _remember_parameters(conn, cursor, statement, parameters, context, executemany) -> None:
    _last.value = (statement, parameters)


def _observe(statement: str, seconds: float, conn: Any) -> None:
    """The statement observer: only slow statements go further; never raises into the request."""
    insight = getattr(getattr(conn, "engine", None), "_sf_insight", None)
    if insight is None or seconds * 1000.0 < insight.threshold_ms:
        return
    try:
        insight.record_statement(statement, seconds * 1000.0, conn)
    except Exception:
        log.exception("insight: could not record a slow statement")


def _flush_loop() -> None:
    while True:
        time.sleep(TICK)
        now = time.monotonic()
        for insight in list(_instances):
            if insight.due(now):
                try:
                    insight.take_plans()
                    insight.flush()
                except Exception:
                    log.exception("insight: flush failed")


def _ensure_flusher() -> None:
    global _flusher_pid
    with _flusher_lock:
        if _flusher_pid != os.getpid():
            threading.Thread(target=_flush_loop, name="sf-insight-flush", daemon=True).start()
            _flusher_pid = os.getpid()


def _after_fork_in_child() -> None:
    global _flusher_lock
    _flusher_lock = threading.Lock()
    for insight in list(_instances):
        insight.reset()
    if len(_instances):
        _ensure_flusher()


def _retire_all() -> None:
    for insight in list(_instances):
        try:
            insight.retire()
        except Exception:
            log.exception("insight: could not fold this worker's data into the archive")


def _register_process_hooks() -> None:
    """Once per process: fold worker data into the archive at exit, reset it in forked children."""
    global _process_hooks
    if not _process_hooks:
        _process_hooks = True
        atexit.register(_retire_all)
        os.register_at_fork(after_in_child=_after_fork_in_child)


class InsightExtension:
    """Extension object: `insight.init_app(app, engine)`; `get_insight()` is the typed accessor."""

    key = "observability.insight"

    def init_app(self, app: Flask, engine: Engine) -> Insight:
        """Attach the collector to `engine`, its pool and the app's request observers."""
        collector = Insight(engine, app.config)
        engine._sf_insight = collector
        event.listen(engine, "before_cursor_execute", _remember_parameters)
        event.listen(engine, "engine_disposed", lambda eng: instrument_pool(collector, eng.pool))
        instrument_pool(collector, engine.pool)
        timing = QueryTiming.state(app)
        timing.statement_observers.append(_observe)
        timing.request_observers.append(collector.record_request)
        app.extensions[self.key] = collector
        if collector.directory is not None:
            _register_process_hooks()
            _instances.add(collector)
            _ensure_flusher()
        return collector


def get_insight(app: Flask | None = None) -> Insight:
    """The collector of `app` (default: the current app)."""
    return (app or current_app).extensions[InsightExtension.key]
