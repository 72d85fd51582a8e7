"""Per-request SQL statement count and DB time, exposed as a `Server-Timing` header.

Engine events add each statement's duration to the request's counters; statement observers (the
admin slow-query log) get (statement, seconds, connection) for every statement, and request
observers (endpoint stats) get (endpoint, statements, db ms) for every request, including the
cache hits the L1 answers before Flask (it calls `request_done` itself).

This runs for every statement, so it is kept cheap: the request's counters are one list reached
through a ContextVar (no `g` proxy lookups per statement) and the start time rides on the
statement's execution context.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, g, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

StatementObserver = Callable[[str, float, Any], None]
RequestObserver = Callable[[str, int, float], None]
# [statement count, DB seconds] of the request being served in this thread/context, if any.
_request_db: ContextVar[list | None] = ContextVar("sf_request_db", default=None)


def server_timing(statements: int, db_ms: float, app_ms: float, cache_state: str | None) -> str:
    """The one `Server-Timing` value: DB time and statement count, app time, cache state."""
    value = f'db;dur={db_ms:.2f};desc="{statements} queries", app;dur={app_ms:.2f}'
    return f'{value}, cache;desc="{cache_state}"' if cache_state else value


@dataclass
class TimingState:
    """One app's observers (what the extension stores on the app)."""

    statement_observers: list[StatementObserver] = field(default_factory=list)
    request_observers: list[RequestObserver] = field(default_factory=list)

    def request_done(self, endpoint: str, statements: int, db_ms: float) -> None:
        """Tell every request observer about one finished request."""
        for fn in self.request_observers:
            fn(endpoint, statements, db_ms)


def uncounted(fn: Callable[[], Any]) -> Any:
    """Run `fn` with its statements left out of the current request's figures.

    For work that belongs to the process, not to the request that happened to trigger it (loading
    shared settings once per process and per change, e.g. admin-set provider credentials): the
    per-request counts stay what the endpoint itself costs. It runs in a copy of the current
    context (the app context is still there), with the request's counters unset.
    """
    def run() -> Any:
        _request_db.set(None)
        return fn()

    return contextvars.copy_context().run(run)


def _install(engine: Engine, state: TimingState) -> None:
    """Count statements and their time on `engine` into the current request's counters."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        if context is not None:
            context._sf_started = time.perf_counter()
        else:  # no execution context (rare DBAPI-level paths): a per-connection stack
            conn.info.setdefault("sf_start", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - (context._sf_started if context is not None else conn.info["sf_start"].pop())
        stats = _request_db.get()
        if stats is not None:
            stats[0] += 1
            stats[1] += elapsed
        for fn in state.statement_observers:
            fn(statement, elapsed, conn)


class QueryTiming:
    """Extension: statement timing on the app's engine and the `Server-Timing` header."""

    key = "observability.timing"

    def init_app(self, app: Flask, engine: Engine) -> TimingState:
        """Instrument `engine` and add the per-request hooks to `app`."""
        state = app.extensions[self.key] = TimingState()
        _install(engine, state)

        @app.before_request
        def _start():
            g.request_started = time.perf_counter()
            g.db_stats = [0, 0.0]
            g.db_stats_token = _request_db.set(g.db_stats)

        @app.after_request
        def _finish(response):
            started = g.get("request_started")
            if started is None:
                return response
            count, db_seconds = g.db_stats
            db_ms = db_seconds * 1000
            app_ms = (time.perf_counter() - started) * 1000
            response.headers["Server-Timing"] = server_timing(count, db_ms, app_ms, g.get("cache_state"))
            if request.endpoint:
                state.request_done(request.endpoint, count, db_ms)
            return response

        @app.teardown_request
        def _stop(_exc):
            token = g.pop("db_stats_token", None)
            if token is not None:
                try:
                    _request_db.reset(token)
                except ValueError:  # torn down in another context than the one that started it
                    _request_db.set(None)

        return state

    @classmethod
    def state(cls, app: Flask | None = None) -> TimingState:
        """The observers of `app` (default: the current app)."""
        return (app or current_app).extensions[cls.key]
