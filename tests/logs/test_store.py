"""The log store on every backend: warnings and errors reach `log_entries` through the background flush
within a second (no write in the request), request lines are sampled, a dead database drops and counts
instead of failing, a forked child flushes on its own thread, retention purges, and the admin search and
analytics answer with constant statement counts, keyset pages and 401/403 for non-admins."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time

import pytest
from sqlalchemy import create_engine, func, insert, select

from backend.common.models import utcnow
from backend.extensions import db as _db
from backend.logs.buffer import KEY, LogBuffer
from backend.logs.models import LogEntry
from backend.logs.tasks import purge_old
from tests.conftest import make_app, statements

SEARCH = "/api/v1/admin/logs/search"
ANALYTICS = "/api/v1/admin/logs/analytics"
log = logging.getLogger("tests.logs.store")


@pytest.fixture
def store_app(database_url, tmp_path, app):
    """Log store on, nothing sampled (server errors and slow requests only), a fast flush."""
    return make_app(database_url, tmp_path, LOG_STORE_ENABLED=True, LOG_STORE_SAMPLE=0.0,
                    LOG_STORE_FLUSH_SECONDS=0.2)


@pytest.fixture
def admin(make_user):
    return make_user("admin")[1]


def rows(application, **where) -> list:
    with application.app_context():
        query = select(LogEntry).where(*(getattr(LogEntry, k) == v for k, v in where.items())).order_by(LogEntry.id)
        found = _db.session.execute(query).scalars().all()
        _db.session.remove()
        return found


def wait_for(application, count: int, timeout: float = 3.0, **where) -> list:
    deadline = time.monotonic() + timeout
    while True:
        found = rows(application, **where)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def seed_rows(application, n: int, **fields) -> None:
    now = utcnow()
    with application.app_context(), _db.engine.begin() as conn:
        conn.execute(insert(LogEntry), [
            {"created_at": now - dt.timedelta(seconds=i), "level": fields.get("level", ("warning", "error")[i % 2]),
             "logger": "seed", "message": fields.get("message", f"message number {i}"),
             "request_id": f"seed-{i}", "method": "GET", "path": fields.get("path", f"/api/v1/p{i % 3}"),
             "status": (200, 404, 500)[i % 3], "duration_ms": float(i), "user_id": None,
             "error_type": fields.get("error_type", "ValueError" if i % 2 else None), "data": {}}
            for i in range(n)])


def test_warnings_and_errors_reach_the_store_within_a_second_without_a_request_write(store_app, admin):
    client = store_app.test_client()
    store_app.add_url_rule("/api/v1/test-warn", "test_warn", lambda: (log.warning("disk at %d%%", 93), "")[1])
    started = time.monotonic()
    response = client.get("/api/v1/test-warn", headers={"X-Request-ID": "warn-1"})
    assert response.status_code == 200 and statements(response) == 0  # nothing written in the request
    (row,) = wait_for(store_app, 1, request_id="warn-1")
    assert time.monotonic() - started < 1.5
    assert (row.level, row.logger, row.message, row.path, row.method) == \
        ("warning", "tests.logs.store", "disk at 93%", "/api/v1/test-warn", "GET")
    assert [r.message for r in rows(store_app, request_id="warn-1")] == ["disk at 93%"]  # request line not sampled


def test_server_errors_are_stored_with_their_traceback_type_and_request_line(store_app):
    def boom():
        raise KeyError("missing")

    store_app.add_url_rule("/api/v1/test-boom", "test_boom", boom)
    assert store_app.test_client().get("/api/v1/test-boom", headers={"X-Request-ID": "err-1"}).status_code == 500
    found = wait_for(store_app, 2, request_id="err-1")
    by_logger = {r.logger: r for r in found}
    assert by_logger["backend.errors"].error_type == "KeyError" and by_logger["backend.errors"].level == "error"
    assert by_logger["backend.errors"].data["exception"][0]["frames"][-1]["name"] == "boom"
    assert by_logger["backend.request"].status == 500


def test_request_lines_are_sampled(database_url, tmp_path, app):
    application = make_app(database_url, tmp_path, LOG_STORE_ENABLED=True, LOG_STORE_SAMPLE=1.0)
    client = application.test_client()
    for i in range(5):
        client.get("/api/v1/coocook/chefs", headers={"X-Request-ID": f"sampled-{i}"})
    with application.app_context():
        application.extensions[KEY].flush()
    assert len(rows(application, logger="backend.request")) == 5


def test_a_dead_database_drops_and_counts_instead_of_failing(caplog):
    engine = create_engine("postgresql+psycopg2://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    config = {"LOG_STORE_BUFFER": 3, "LOG_STORE_BATCH": 2, "LOG_STORE_FLUSH_SECONDS": 0.5, "LOG_STORE_SAMPLE": 0,
              "LOG_STORE_SLOW_MS": 1000}
    buffer = LogBuffer(engine, config)
    row = {"created_at": utcnow(), "level": "warning", "logger": "t", "message": "m", "data": {}}
    for _ in range(5):
        buffer.add(dict(row))
    assert (len(buffer), buffer.dropped) == (3, 2)  # bounded: the rest is counted, not kept
    with caplog.at_level(logging.WARNING, logger="backend.logs.buffer"):
        assert buffer.flush() == 0
        assert buffer.flush() == 0
    assert len(buffer) == 3 and buffer.dropped == 2  # the failed batch went back; nothing was lost twice
    assert len([r for r in caplog.records if "could not write" in r.getMessage()]) == 1  # one warning per outage


@pytest.mark.sqlite_only
def test_a_forked_child_flushes_on_its_own_thread(store_app):
    with store_app.app_context():
        engine = _db.engine
    pid = os.fork()
    if pid == 0:  # the child: as a gunicorn worker would, it logs and lets its own thread write
        try:
            engine.dispose(close=False)
            log.warning("from the child %d", os.getpid())
            time.sleep(1.5)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert [r.message for r in rows(store_app, logger="tests.logs.store")] == [f"from the child {pid}"]


def test_retention_purges_old_lines(store_app):
    seed_rows(store_app, 4)
    with store_app.app_context(), _db.engine.begin() as conn:
        conn.execute(insert(LogEntry), [{"created_at": utcnow() - dt.timedelta(days=30), "level": "info",
                                         "logger": "old", "message": "old", "data": {}}] * 3)
    with store_app.app_context():
        assert purge_old(days=14) == 3
        assert _db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one() == 4


def test_search_is_admin_only(store_app, make_user):
    client = store_app.test_client()
    _, user = make_user()
    for url in (SEARCH, ANALYTICS):
        assert client.get(url).status_code == 401
        assert client.get(url, headers=user).status_code == 403


def test_search_filters_and_keyset_pages(store_app, admin):
    seed_rows(store_app, 30)
    client = store_app.test_client()
    page = client.get(f"{SEARCH}?per_page=10", headers=admin).get_json()
    assert page["total"] == 30 and not page["total_capped"] and len(page["items"]) == 10
    assert [i["request_id"] for i in page["items"]] == [f"seed-{i}" for i in range(10)]  # newest first
    seen = [i["id"] for i in page["items"]]
    while page["next_cursor"]:
        page = client.get(f"{SEARCH}?per_page=10&cursor={page['next_cursor']}", headers=admin).get_json()
        seen += [i["id"] for i in page["items"]]
    assert len(seen) == len(set(seen)) == 30
    errors = client.get(f"{SEARCH}?level=error", headers=admin).get_json()
    assert errors["total"] == 15 and {i["level"] for i in errors["items"]} == {"error"}
    assert client.get(f"{SEARCH}?request_id=seed-7", headers=admin).get_json()["items"][0]["message"] == \
        "message number 7"
    assert client.get(f"{SEARCH}?path=/api/v1/p1", headers=admin).get_json()["total"] == 10
    assert client.get(f"{SEARCH}?q=NUMBER%202", headers=admin).get_json()["total"] == 11  # 2, 20-29
    assert client.get(f"{SEARCH}?q=100%25", headers=admin).get_json()["total"] == 0  # % is literal
    until = client.get(f"{SEARCH}?request_id=seed-19", headers=admin).get_json()["items"][0]["created_at"]
    assert client.get(f"{SEARCH}?until={until.rstrip('Z')}", headers=admin).get_json()["total"] == 10  # exclusive
    assert client.get(f"{SEARCH}?since={until.rstrip('Z')}", headers=admin).get_json()["total"] == 20
    windowed = client.get(f"{SEARCH}?q=number%202&since={until.rstrip('Z')}", headers=admin).get_json()
    assert "items" in windowed, windowed
    assert [i["request_id"] for i in windowed["items"]] == ["seed-2"]  # 20-29 are older than the window
    windowed = client.get(f"{SEARCH}?q=number%202&until={until.rstrip('Z')}", headers=admin).get_json()
    assert windowed["total"] == 10


@pytest.mark.parametrize("query", ["cursor=nope", "level=loud", "since=yesterday", "per_page=0", "q=",
                                   "since=1500-01-01T00:00:00", "q=a%00b", "request_id=" + "x" * 200])
def test_bad_search_input_is_a_422(store_app, admin, query):
    response = store_app.test_client().get(f"{SEARCH}?{query}", headers=admin)
    assert response.status_code == 422, response.get_json()


def test_search_and_analytics_statement_counts_do_not_grow_with_the_page(store_app, admin):
    seed_rows(store_app, 120)
    client = store_app.test_client()
    one = client.get(f"{SEARCH}?per_page=1", headers=admin)
    hundred = client.get(f"{SEARCH}?per_page=100", headers=admin)
    assert len(hundred.get_json()["items"]) == 100
    assert statements(one) == statements(hundred)


def test_analytics_counts_by_level_endpoint_status_time_and_top_errors(store_app, admin):
    seed_rows(store_app, 12)
    seed_rows(store_app, 3, level="error", message="the same failure", path="/api/v1/broken", error_type="OSError")
    response = store_app.test_client().get(f"{ANALYTICS}?bucket=minute", headers=admin)
    body = response.get_json()
    assert {c["key"]: c["count"] for c in body["by_level"]} == {"warning": 6, "error": 9}
    assert {c["key"]: c["count"] for c in body["by_status"]} == {200: 5, 404: 5, 500: 5}
    broken = next(e for e in body["by_endpoint"] if e["path"] == "/api/v1/broken")
    assert broken["count"] == 3 and broken["method"] == "GET"
    assert sum(b["count"] for b in body["by_time"]) == 15 and body["by_time"][0]["bucket"].endswith(":00")
    assert body["top_errors"][0]["message"] == "the same failure" and body["top_errors"][0]["count"] == 3
    search = store_app.test_client().get(f"{SEARCH}?per_page=1", headers=admin)
    assert statements(response) == statements(search)  # two statements each


@pytest.mark.parametrize("q", ['"', 'a"b', "NEAR(x", "*", "ab", "x' OR 1=1 --", "%", "_", "AND", "message num"])
def test_any_search_text_is_a_literal_substring(store_app, admin, q):
    seed_rows(store_app, 3)
    response = store_app.test_client().get(SEARCH, query_string={"q": q}, headers=admin)
    assert response.status_code == 200
    assert response.get_json()["total"] == (3 if q == "message num" else 0)
