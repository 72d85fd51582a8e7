"""Query plans of the log store's reads: the statements real search and analytics requests run are
captured from the engine, then EXPLAINed with the same parameters over a few thousand rows with fresh
statistics. No statement scans the whole of `log_entries` without an index: each filter (level, path,
request id, time window, text) has one. PostgreSQL runs the EXPLAIN with `enable_seqscan = off`, which
leaves a sequential scan only where no index can serve (a small table would otherwise make the planner
prefer one honestly)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event, insert

from backend.common.models import utcnow
from backend.extensions import db as _db
from backend.logs.models import LogEntry
from tests.conftest import make_app

SEARCH = "/api/v1/admin/logs/search"
QUERIES = ["per_page=50", "level=error", "path=/api/v1/p3", "request_id=r-77", "q=timeout",
           "q=timeout&level=error", "since={since}&until={until}", "level=warning&since={since}"]


@pytest.fixture
def plan_app(database_url, tmp_path, app):
    application = make_app(database_url, tmp_path, LOG_STORE_ENABLED=True, LOG_STORE_SAMPLE=0.0)
    now = utcnow()
    with application.app_context(), _db.engine.begin() as conn:
        conn.execute(insert(LogEntry), [
            {"created_at": now - dt.timedelta(seconds=i), "level": ("info", "warning", "error")[i % 3],
             "logger": "seed", "message": f"{('timeout', 'refused', 'slow')[i % 7 % 3]} talking to p{i % 11}",
             "request_id": f"r-{i}", "method": "GET", "path": f"/api/v1/p{i % 40}", "status": 200,
             "duration_ms": 1.0, "user_id": None, "error_type": None, "data": {}} for i in range(4000)])
        conn.exec_driver_sql("ANALYZE log_entries")  # this table only: a bare ANALYZE locks every schema's tables
    return application


def test_every_log_store_statement_uses_an_index(plan_app, make_user):
    _, admin = make_user("admin")
    captured: list[tuple[str, object]] = []
    with plan_app.app_context():
        engine = _db.engine

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "log_entries" in statement and not statement.lstrip().upper().startswith("EXPLAIN"):
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    client = plan_app.test_client()
    since = (utcnow() - dt.timedelta(minutes=20)).isoformat()
    until = (utcnow() - dt.timedelta(minutes=10)).isoformat()
    try:
        for query in QUERIES:
            assert client.get(f"{SEARCH}?{query.format(since=since, until=until)}", headers=admin).status_code == 200
        assert client.get("/api/v1/admin/logs/analytics", headers=admin).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert len(captured) >= 2 * len(QUERIES)
    with engine.connect() as conn:
        for statement, parameters in captured:
            if conn.dialect.name == "sqlite":
                plan = "\n".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
                assert not re.search(r"^SCAN log_entries$", plan, re.M), f"full scan:\n{statement}\n{plan}"
            else:
                conn.exec_driver_sql("SET enable_seqscan = off")
                plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {statement}", parameters))
                assert "Seq Scan on log_entries" not in plan, f"no index serves:\n{statement}\n{plan}"
                conn.rollback()
