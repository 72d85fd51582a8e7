"""Admin DB insight on every backend: access rules, slow-query log with plans, per-endpoint stats,
the cross-worker merge of snapshot files, performance figures and ANALYZE with index hints."""

from __future__ import annotations

import os
import subprocess
import threading
import time

import pytest
import sqlalchemy as sa

from backend.admin.plans import missing_indexes
from backend.coocook.models import Chef
from backend.extensions import db as _db
from backend.observability import store
from backend.observability.insight import Insight, get_insight
from backend.observability.pool import instrument_pool
from backend.observability.sqlplan import normalise_sql, statement_id
from tests.conftest import make_app
from tests.factories import ChefFactory

ADMIN = "/api/v1/admin/db"
ENDPOINTS = [("GET", f"{ADMIN}/slow-queries"), ("GET", f"{ADMIN}/performance"), ("POST", f"{ADMIN}/optimize")]


@pytest.fixture
def insight_app(app, database_url, tmp_path):
    """An app on the same database that logs every statement (SLOW_QUERY_MS=0) and shares via tmp files.

    The `app` fixture (which make_user uses) empties the tables afterwards.
    """
    application = make_app(database_url, tmp_path, SLOW_QUERY_MS=0, INSIGHT_DIR=str(tmp_path / "insight"),
                            INSIGHT_FLUSH_SECONDS=3600)
    yield application
    with application.app_context():
        _db.session.remove()
        if _db.engine.dialect.name == "sqlite":  # ANALYZE statistics would steer other tests' plans
            with _db.engine.begin() as conn:
                if conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
                    conn.exec_driver_sql("DELETE FROM sqlite_stat1")
        _db.engine.dispose()


@pytest.fixture
def admin(make_user):
    """An admin's auth header."""
    return make_user("admin")[1]


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_admin_only(client, make_user):
    _, user = make_user("user")
    _, admin = make_user("admin")
    for method, url in ENDPOINTS:
        anonymous = client.open(url, method=method)
        assert anonymous.status_code == 401
        assert anonymous.get_json()["error"]["code"] == "missing_token"
        assert client.open(url, method=method, headers=user).status_code == 403
        ok = client.open(url, method=method, headers=admin)
        assert ok.status_code == 200, ok.get_json()
        assert "private" in ok.headers["Cache-Control"]


def test_slow_query_log_normalises_and_plans(insight_app, db, admin):
    ChefFactory.create_batch(3)
    with insight_app.app_context():
        for ids in ([1, 2, 3], [4, 5, 6, 7, 8]):  # different IN-lists: one statement shape
            _db.session.execute(sa.select(Chef.id).where(Chef.id.in_(ids))).all()
        _db.session.execute(sa.text("SELECT id FROM chefs WHERE bio = 'secret'   AND\n rating > 4.5")).all()
        _db.session.remove()
    client = insight_app.test_client()
    assert client.get("/api/v1/coocook/chefs?cuisine=Italian").status_code == 200

    body = client.get(f"{ADMIN}/slow-queries?per_page=100", headers=admin).get_json()
    assert set(body) == {"items", "page", "per_page", "total", "next_cursor"}
    items = body["items"]
    assert [i["total_ms"] for i in items] == sorted((i["total_ms"] for i in items), reverse=True)
    by_sql = {i["sql"]: i for i in items}

    in_list = [i for sql, i in by_sql.items() if "IN (?...)" in sql and "FROM chefs" in sql]
    assert len(in_list) == 1 and in_list[0]["count"] == 2
    literal = by_sql["SELECT id FROM chefs WHERE bio = ? AND rating > ?"]
    assert literal["count"] == 1 and literal["max_ms"] >= 0 and literal["last_seen"]
    assert literal["plan"] and any("chefs" in line for line in literal["plan"]), literal
    listing = [i for sql, i in by_sql.items() if "lower(chefs.cuisine_type) = ?" in sql]
    assert listing and "italian" not in listing[0]["sql"].lower()
    assert listing[0]["plan"] and listing[0]["plan_error"] is None


def test_slow_query_pages_by_cursor(insight_app, admin):
    with insight_app.app_context():
        for n in range(5):
            _db.session.execute(sa.text(f"SELECT {n} AS n{n}")).all()  # five distinct shapes
        _db.session.remove()
    client = insight_app.test_client()
    first = client.get(f"{ADMIN}/slow-queries?per_page=2", headers=admin).get_json()
    seen, page = [i["id"] for i in first["items"]], first
    while page["next_cursor"]:
        page = client.get(f"{ADMIN}/slow-queries?per_page=2&cursor={page['next_cursor']}", headers=admin).get_json()
        assert page["page"] is None
        seen += [i["id"] for i in page["items"]]
    assert len(seen) == len(set(seen)) >= 5
    bad = client.get(f"{ADMIN}/slow-queries?cursor=nonsense", headers=admin)
    assert bad.status_code == 422 and "cursor" in bad.get_json()["error"]["details"]["fields"]


def test_per_endpoint_stats(insight_app, admin):
    client = insight_app.test_client()
    for _ in range(3):
        assert client.get("/api/v1/coocook/chefs?per_page=5").status_code == 200
    client.get("/api/v1/health")
    body = client.get(f"{ADMIN}/performance", headers=admin).get_json()
    endpoints = {e["endpoint"]: e for e in body["endpoints"]}
    chefs = endpoints["coocook.list_chefs"]
    assert chefs["requests"] == 3
    assert chefs["statements_max"] >= 2 and chefs["statements"] >= 2 and chefs["db_ms"] > 0
    assert chefs["db_ms_mean"] == pytest.approx(chefs["db_ms"] / 3, abs=0.01)
    assert endpoints["health.health"] == {**endpoints["health.health"], "requests": 1, "statements": 0}


def test_performance_reports_pool_rows_and_indexes(insight_app, db, admin, backend):
    ChefFactory.create_batch(4)
    body = insight_app.test_client().get(f"{ADMIN}/performance", headers=admin).get_json()
    assert body["database"] == backend and body["slow_query_ms"] == 0
    tables = {t["name"]: t for t in body["tables"]}
    assert "alembic_version" not in tables
    assert tables["chefs"]["rows"] == 4 and tables["users"]["rows"] == 1 and tables["bookings"]["rows"] == 0
    indexes = {ix["name"]: ix for ix in tables["chefs"]["indexes"]}
    assert indexes["ix_chefs_active_rating"]["columns"] == ["is_active", "rating", "id"]
    assert "ix_chefs_cuisine_lower" in indexes and "ix_bookings_user_id_id" in {
        ix["name"] for ix in tables["bookings"]["indexes"]}
    pool = body["pool"]
    assert pool["pool_class"] == "QueuePool" and pool["size"] >= 1 and pool["checked_out"] >= 1
    assert pool["checkouts"] >= 1 and pool["waits"] >= 0 and pool["timeouts"] == 0


def _worker_file(directory, pid: int, requests: int, count: int, key: str, sql: str) -> None:
    snap = store.empty_snapshot(pid)
    snap["endpoints"]["coocook.list_chefs"] = {"requests": requests, "statements": 2 * requests,
                                               "statements_max": 2, "db_ms": 1.5 * requests, "db_ms_max": 9.0}
    snap["slow_queries"][key] = {"sql": sql, "count": count, "total_ms": 1000.0 * count, "max_ms": 700.0 + count,
                                 "last_seen": time.time(), "plan": None, "plan_error": None}
    snap["pool"]["waits"] = 1
    directory.mkdir(parents=True, exist_ok=True)
    store.write_json(directory / f"{pid}.json", snap)


def test_workers_merge_through_snapshot_files(insight_app, admin):
    directory = get_insight(insight_app).directory
    sql = "SELECT chefs.id FROM chefs WHERE chefs.name = ?"
    key = statement_id(sql)
    live_pid, dead_pid = os.getppid(), _dead_pid()  # another live worker, and one that died uncleanly
    _worker_file(directory, live_pid, requests=5, count=2, key=key, sql=sql)
    _worker_file(directory, dead_pid, requests=7, count=3, key=key, sql=sql)
    client = insight_app.test_client()
    client.get("/api/v1/coocook/chefs")  # this worker's own, live request

    def read():
        perf = client.get(f"{ADMIN}/performance", headers=admin).get_json()
        slow = client.get(f"{ADMIN}/slow-queries?per_page=1", headers=admin).get_json()["items"][0]
        return {e["endpoint"]: e for e in perf["endpoints"]}["coocook.list_chefs"], perf, slow

    chefs, perf, slow = read()
    # the other workers' max is 9 ms; this process's live request may take longer on a loaded box
    assert chefs["requests"] == 5 + 7 + 1 and chefs["db_ms_max"] >= 9.0
    assert slow["id"] == key and slow["count"] == 5 and slow["total_ms"] == 5000.0 and slow["max_ms"] == 703.0
    assert perf["pool"]["waits"] >= 2
    assert {w["pid"] for w in perf["workers"]} >= {os.getpid(), live_pid}
    # the dead worker's file was folded into the archive; the live one stays as it is
    assert not (directory / f"{dead_pid}.json").exists() and (directory / f"{live_pid}.json").exists()
    assert (directory / store.ARCHIVE).exists()

    get_insight(insight_app).flush()  # our own file is skipped: live data is used instead
    assert (directory / f"{os.getpid()}.json").exists()
    chefs_again, _, slow_again = read()
    assert chefs_again["requests"] == chefs["requests"] + 0  # admin reads are counted, list_chefs is not
    assert slow_again["count"] == 5


def test_optimize_analyzes_and_suggests_missing_index(insight_app, db, admin, backend):
    ChefFactory.create_batch(3)
    with insight_app.app_context():
        _db.session.execute(sa.select(Chef.id).where(Chef.bio == "Cooks.")).all()  # chefs.bio has no index
        _db.session.execute(sa.select(Chef.id).where(Chef.user_id == 1)).all()  # uq_chefs_user_id covers it
        _db.session.remove()
    response = insight_app.test_client().post(f"{ADMIN}/optimize", headers=admin)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["database"] == backend and "ANALYZE" in body["ran"]
    bio = [s for s in body["suggestions"] if s["table"] == "chefs" and s["columns"] == ["bio"]]
    assert bio, body["suggestions"]
    assert "chefs.bio = ?" in bio[0]["statement"]
    assert bio[0]["create_index"] == "CREATE INDEX ix_chefs_bio ON chefs (bio)"
    assert ("SCAN chefs" if backend == "sqlite" else "Seq Scan on chefs") in bio[0]["plan_line"]
    assert not [s for s in body["suggestions"] if s["columns"] == ["user_id"]]


def test_failed_plan_is_recorded_not_raised(insight_app):
    insight = get_insight(insight_app)
    with insight_app.app_context():
        _db.session.execute(sa.text("SELECT 1")).all()
        _db.session.remove()
    key = statement_id("SELECT * FROM no_such_table")
    insight.slow[key] = {"sql": "SELECT * FROM no_such_table", "count": 1, "total_ms": 1.0, "max_ms": 1.0,
                         "last_seen": time.time(), "plan": None, "plan_error": None}
    insight._pending[key] = ("SELECT * FROM no_such_table", ())
    insight.take_plans()
    assert insight.slow[key]["plan"] is None and "no_such_table" in insight.slow[key]["plan_error"]


class _Conn:
    def get_execution_options(self):
        return {}


def test_memory_is_bounded():
    insight = Insight(None, {"SLOW_QUERY_MS": 0, "INSIGHT_MAX_STATEMENTS": 3, "INSIGHT_FLUSH_SECONDS": 2})
    for n in range(10):
        insight.record_statement(f"SELECT * FROM t{n}", 100.0 + n, _Conn())
    insight.record_statement("SELECT * FROM t9", 100.0, _Conn())
    assert len(insight.slow) == 3
    assert any(e["sql"] == "SELECT * FROM t9" and e["count"] == 2 for e in insight.slow.values())


@pytest.mark.parametrize(("raw", "expected"), [
    ("SELECT a FROM t WHERE b = 'it''s' AND c = 42 AND d = 1.5e3",
     "SELECT a FROM t WHERE b = ? AND c = ? AND d = ?"),
    ("SELECT * FROM t WHERE id IN (%(id_1_1)s, %(id_1_2)s)\n  LIMIT %(param_1)s",
     "SELECT * FROM t WHERE id IN (?...) LIMIT ?"),
    ("SELECT x::INTEGER, t1.col2 FROM t1 WHERE y = :y AND z = $1",
     "SELECT x::INTEGER, t1.col2 FROM t1 WHERE y = ? AND z = ?"),
    ("INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?)", "INSERT INTO t (a, b) VALUES (?...)"),
])
def test_normalise_sql(raw, expected):
    assert normalise_sql(raw) == expected


def test_postgres_plan_parsing():
    schema = {"chefs": {"columns": {"id", "bio", "user_id", "is_active", "rating"},
                        "covered": [["id"], ["user_id"], ["is_active", "rating", "id"]]}}
    slow = {"a": {"sql": "SELECT ... FROM chefs AS c WHERE c.bio = ?", "count": 2, "total_ms": 9.0, "plan": [
        "Limit  (cost=0.00..1.05 rows=1 width=4)",
        "  ->  Seq Scan on chefs c  (cost=0.00..25.88 rows=6 width=4)",
        "        Filter: ((c.bio)::text = 'x'::text)"]},
        "b": {"sql": "SELECT ... FROM chefs WHERE user_id = ?", "count": 1, "total_ms": 1.0, "plan": [
            "Seq Scan on chefs  (cost=0.00..1.04 rows=1 width=4)", "  Filter: (user_id = 1)"]},
        "c": {"sql": "SELECT count(*) FROM chefs", "count": 1, "total_ms": 1.0, "plan": [
            "Aggregate  (cost=1.04..1.05 rows=1 width=8)",
            "  ->  Seq Scan on chefs  (cost=0.00..1.03 rows=3 width=0)"]}}
    hints = missing_indexes(slow, "postgresql", schema)
    assert [(h["table"], h["columns"], h["statement_id"]) for h in hints] == [("chefs", ["bio"], "a")]


def test_pool_waits_and_timeouts_are_counted(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'pool.db'}", poolclass=sa.pool.QueuePool, pool_size=1,
                              max_overflow=0, pool_timeout=0.3)
    insight = Insight(engine, {"SLOW_QUERY_MS": 50, "INSIGHT_MAX_STATEMENTS": 10, "INSIGHT_FLUSH_SECONDS": 2})
    instrument_pool(insight, engine.pool)
    held = engine.connect()
    with pytest.raises(sa.exc.TimeoutError):
        engine.connect()
    threading.Timer(0.1, held.close).start()
    with engine.connect():
        pass
    engine.dispose()
    assert insight.pool["waits"] == 2 and insight.pool["timeouts"] == 1
    assert insight.pool["wait_ms_max"] >= 50 and insight.pool["checkouts"] == 3


def test_exiting_worker_folds_into_archive(tmp_path):
    snap = store.empty_snapshot(os.getpid())
    snap["endpoints"]["x"] = {"requests": 2, "statements": 4, "statements_max": 2, "db_ms": 1.0, "db_ms_max": 0.6}
    store.write_json(tmp_path / f"{os.getpid()}.json", snap)
    store.retire(tmp_path, snap, max_statements=10)
    assert not (tmp_path / f"{os.getpid()}.json").exists()
    assert "workers" not in store.read_json(tmp_path / store.ARCHIVE)
    merged = store.merge_snapshots(store.load_others(tmp_path, own_pid=-1, max_statements=10))
    assert merged["endpoints"]["x"]["requests"] == 2
