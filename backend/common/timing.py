"""Per-request SQL statement count and DB time, exposed as a `Server-Timing` header.

Engine events add each statement's duration to the request's counters; observers (the admin
slow-query log) get (statement, seconds, connection) for every statement too.

This runs for every statement, so it is kept cheap: the request's counters are one list reached
through a ContextVar (no `g` proxy lookups per statement) and the start time rides on the
statement's execution context.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from flask import Flask, g, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

StatementObserver = Callable[[str, float, Any], None]
_observers: list[StatementObserver] = []
# [statement count, DB seconds] of the request being served in this thread/context, if any.
_request_db: ContextVar[list | None] = ContextVar("sf_request_db", default=None)



def add_statement_observer(fn: StatementObserver) -> None:
    """Register a callback run after every SQL statement (keep it cheap)."""
    if fn not in _observers:
        _observers.append(fn)


def install_query_timing(engine: Engine) -> None:
    """Count statements and their time on `engine` into flask.g, when inside a context."""
    if getattr(engine, "_sf_timed", False):
        return
    engine._sf_timed = True

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
        for fn in _observers:
            fn(statement, elapsed, conn)


def register_server_timing(app: Flask) -> None:
    """Add `Server-Timing: db;dur=..;desc="N queries", app;dur=..` to every response."""

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
        cache_state = g.get("cache_state")
        parts = [f'db;dur={db_ms:.2f};desc="{count} queries"', f"app;dur={app_ms:.2f}"]
        if cache_state:
            parts.append(f'cache;desc="{cache_state}"')
        response.headers["Server-Timing"] = ", ".join(parts)
        endpoint_stats = app.extensions.get("sf_endpoint_stats")
        if endpoint_stats is not None and request.endpoint:
            endpoint_stats(request.endpoint, count, db_ms)
        return response

    @app.teardown_request
    def _stop(_exc):
        token = g.pop("db_stats_token", None)
        if token is not None:
            try:
                _request_db.reset(token)
            except ValueError:  # torn down in another context than the one that started it
                _request_db.set(None)
