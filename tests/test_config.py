"""Config from the environment (production refuses default secrets, URLs normalised, malformed numbers
are start-up errors) and the engine tuning actually in effect on live connections."""

from __future__ import annotations

import datetime as dt
import os
import runpy
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from backend import create_app
from backend.config import DEFAULT_SECRET, ROOT, env_bool, env_float, env_int, normalise_database_url
from backend.extensions import db as _db
from tests.conftest import make_app
from tests.factories import ChefFactory

CONFIG_PY = str(ROOT / "backend" / "config.py")


def fresh_config(monkeypatch, **env) -> dict:
    """Execute backend/config.py anew under `env` (the imported module keeps its import-time values)."""
    for name in ("SECRET_KEY", "DATABASE_URL", "APP_ENV", "REDIS_URL", "CACHE_TYPE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(CONFIG_PY)


def start(tmp_path, **env) -> subprocess.CompletedProcess:
    """Import the gunicorn target (`backend.wsgi`) in a new process with exactly this environment."""
    base = {k: v for k, v in os.environ.items()
            if k not in {"SECRET_KEY", "APP_ENV", "REDIS_URL", "CACHE_TYPE", "DATABASE_URL"}}
    base.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}",
                 "CACHE_GENERATIONS_PATH": str(tmp_path / "generations"), "INSIGHT_DIR": str(tmp_path / "insight"),
                 **env})
    return subprocess.run([sys.executable, "-c", "import backend.wsgi"], cwd=ROOT, env=base, capture_output=True,
                          text=True, timeout=60)


def test_production_refuses_to_start_without_a_secret(tmp_path):
    refused = start(tmp_path, APP_ENV="production")
    assert refused.returncode != 0
    assert "RuntimeError: production refuses the default SECRET_KEY" in refused.stderr
    blank = start(tmp_path, APP_ENV="production", SECRET_KEY="   ")
    assert blank.returncode != 0 and "SECRET_KEY" in blank.stderr


def test_production_starts_with_a_real_secret_and_development_with_the_default(tmp_path):
    ok = start(tmp_path, APP_ENV="production", SECRET_KEY="a-real-secret-" + "x" * 32,
               SECRETS_KEYS="bE9hZGVkLXRlc3Qta2V5LWZvci1zZWNyZXRzLWF0LXI=")
    assert ok.returncode == 0, ok.stderr
    dev = start(tmp_path, APP_ENV="development")
    assert dev.returncode == 0, dev.stderr


@pytest.mark.parametrize("secret", [DEFAULT_SECRET, "", None])
def test_create_app_production_refuses_default_secret(tmp_path, secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"APP_ENV": "production", "SECRET_KEY": secret,
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})


def test_create_app_production_accepts_a_real_secret(tmp_path):
    app = create_app({"APP_ENV": "production", "SECRET_KEY": "s3cret-" * 6,
                      "SECRETS_KEYS": "bE9hZGVkLXRlc3Qta2V5LWZvci1zZWNyZXRzLWF0LXI=",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
                      "CACHE_GENERATIONS_PATH": str(tmp_path / "gen")})
    assert app.config["APP_ENV"] == "production"
    assert not app.config["TESTING"] and not app.debug


def test_unknown_app_env_is_refused():
    with pytest.raises(RuntimeError, match="APP_ENV must be one of"):
        create_app("staging")


@pytest.mark.parametrize("url,expected", [
    ("postgres://u:p@db:5432/app", "postgresql+psycopg2://u:p@db:5432/app"),
    ("postgresql://u:p@db:5432/app", "postgresql+psycopg2://u:p@db:5432/app"),
    ("postgresql+psycopg2://u@db/app", "postgresql+psycopg2://u@db/app"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_urls_are_normalised_to_psycopg2(monkeypatch, url, expected):
    assert normalise_database_url(url) == expected
    from_env = fresh_config(monkeypatch, DATABASE_URL=url)["BaseConfig"].SQLALCHEMY_DATABASE_URI
    assert from_env == expected


def test_create_app_normalises_an_override_and_picks_psycopg2(tmp_path):
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "postgres://u@127.0.0.1:1/none",
                      "CACHE_GENERATIONS_PATH": str(tmp_path / "gen")})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg2://u@127.0.0.1:1/none"
    with app.app_context():
        assert _db.engine.dialect.driver == "psycopg2"  # not psycopg 3, which SQLAlchemy 2.1 would pick
        _db.engine.dispose()


def test_the_default_database_is_a_sqlite_file_under_instance(monkeypatch):
    base = fresh_config(monkeypatch)["BaseConfig"]
    url, secret = base.SQLALCHEMY_DATABASE_URI, base.SECRET_KEY
    assert url == f"sqlite:///{ROOT / 'instance' / 'softfactory.db'}"
    assert secret == DEFAULT_SECRET


@pytest.mark.parametrize("helper,raw,message", [
    (env_int, "ten", "SF_TEST_VALUE must be an integer, got 'ten'"),
    (env_float, "fast", "SF_TEST_VALUE must be a number, got 'fast'"),
    (env_bool, "maybe", "SF_TEST_VALUE must be a boolean, got 'maybe'"),
])
def test_malformed_env_values_are_clear_errors(monkeypatch, helper, raw, message):
    monkeypatch.setenv("SF_TEST_VALUE", raw)
    with pytest.raises(RuntimeError) as excinfo:
        helper("SF_TEST_VALUE", 1)
    assert str(excinfo.value) == message


def test_env_helpers_parse_and_default(monkeypatch):
    monkeypatch.setenv("SF_TEST_VALUE", " 42 ")
    assert env_int("SF_TEST_VALUE", 1) == 42
    monkeypatch.setenv("SF_TEST_VALUE", "off")
    assert env_bool("SF_TEST_VALUE", True) is False
    monkeypatch.setenv("SF_TEST_VALUE", "")
    assert env_int("SF_TEST_VALUE", 7) == 7


def test_a_malformed_setting_stops_start_up_naming_it(monkeypatch):
    with pytest.raises(RuntimeError, match="DB_POOL_SIZE must be an integer, got 'ten'"):
        fresh_config(monkeypatch, DB_POOL_SIZE="ten")
    monkeypatch.setenv("GUNICORN_THREADS", "two")
    with pytest.raises(ValueError, match="GUNICORN_THREADS must be an integer, got 'two'"):
        runpy.run_path(str(ROOT / "gunicorn_config.py"))


def test_gunicorn_config_reads_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_THREADS", "4")
    monkeypatch.setenv("GUNICORN_WORKER_CLASS", "gthread")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    config = runpy.run_path(str(ROOT / "gunicorn_config.py"))
    assert (config["threads"], config["worker_class"], config["workers"]) == (4, "gthread", 3)
    assert config["max_requests"] > 0 and config["max_requests_jitter"] > 0
    assert config["graceful_timeout"] > 0 and config["keepalive"] > 0


# --- the engine as tuned --------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_sqlite_pragmas_are_in_effect(app, backend):
    with app.app_context(), _db.engine.connect() as conn:
        pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 1  # NORMAL
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == app.config["SQLITE_BUSY_TIMEOUT_MS"] > 0
        assert pragma("cache_size") == -app.config["SQLITE_CACHE_KB"]
        assert pragma("temp_store") == 2  # MEMORY


@pytest.mark.sqlite_only
def test_sqlite_enforces_foreign_keys(app, backend, db):
    with app.app_context(), pytest.raises(sa.exc.IntegrityError, match="FOREIGN KEY"), _db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO bookings (user_id, chef_id, date, slot, guests, status, price, created_at, updated_at) "
            "VALUES (999, 999, '2030-01-01', 'lunch', 2, 'pending', 1, '2030-01-01', '2030-01-01')")


def capture(app, fn) -> list[str]:
    """Every statement the app's engine sends to the database while `fn` runs."""
    seen: list[str] = []
    with app.app_context():
        engine = _db.engine

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return seen


@pytest.mark.sqlite_only
def test_sqlite_writes_begin_immediate_and_reads_plain_begin(app, client, backend, db, make_user):
    ChefFactory()
    chef_id = db.session.execute(sa.text("SELECT id FROM chefs")).scalar_one()
    db.session.rollback()  # end this read snapshot (WAL) so the check below sees the request's commit
    _, auth = make_user("user")
    date = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)).isoformat()

    def write():
        response = client.post("/api/v1/coocook/bookings", headers=auth,
                               json={"chef_id": chef_id, "date": date, "slot": "lunch", "guests": 2})
        assert response.status_code == 201

    statements = capture(app, write)
    insert_at = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO bookings"))
    begins = [s for s in statements[:insert_at] if s.startswith("BEGIN")]
    assert begins[-1] == "BEGIN IMMEDIATE", statements  # the write transaction took the lock up front
    # pysqlite commits at the C level (no cursor event); the row being there shows the COMMIT happened.
    assert db.session.execute(sa.text("SELECT count(*) FROM bookings")).scalar_one() == 1

    reads = capture(app, lambda: client.get("/api/v1/coocook/chefs?sort=price").status_code == 200)
    read_begins = [s for s in reads if s.startswith("BEGIN")]
    assert read_begins and set(read_begins) == {"BEGIN"}, reads  # a read never takes the write lock


@pytest.mark.pg_only
def test_postgresql_engine_pool_and_statement_timeout(app, backend):
    with app.app_context():
        engine = _db.engine
        assert engine.dialect.driver == "psycopg2"
        assert engine.pool._pre_ping is False and engine.pool.dispatch.checkout  # ping_when_idle instead
        assert engine.pool._recycle == app.config["DB_POOL_RECYCLE"] > 0
        assert engine.pool.size() == app.config["DB_POOL_SIZE"]
        with engine.connect() as conn:
            ms = app.config["DB_STATEMENT_TIMEOUT_MS"]
            shown = conn.exec_driver_sql("SHOW statement_timeout").scalar()
            assert ms > 0 and shown in {f"{ms}ms", f"{ms // 1000}s"}, shown
            with pytest.raises(sa.exc.OperationalError, match="statement timeout"):
                conn.exec_driver_sql("SET statement_timeout = 50")
                conn.exec_driver_sql("SELECT pg_sleep(1)")


# --- the idle ping (backend/database.py ping_when_idle) ---------------------------------------------

LIST = "/api/v1/coocook/chefs"


def ping_app(database_url, tmp_path, idle_seconds: float):
    """An uncached app pinging after `idle_seconds`, and the backend pids of every connection it opens."""
    app = make_app(database_url, tmp_path, CACHE_TYPE="NullCache", DB_PING_IDLE_SECONDS=idle_seconds)
    with app.app_context():
        engine = _db.engine
    engine.dispose()
    pids: list[int] = []
    event.listen(engine, "connect", lambda dbapi_connection, _record: pids.append(dbapi_connection.get_backend_pid()))
    return app, engine, pids


def terminate(url: str, pids: list[int]) -> None:
    """pg_terminate_backend each pid from a connection of our own, and wait until they are gone."""
    admin = sa.create_engine(normalise_database_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM unnest(%(p)s) AS pid", {"p": pids})
            deadline = time.monotonic() + 10
            while conn.exec_driver_sql("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%(p)s)",
                                       {"p": pids}).scalar() and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        admin.dispose()


@pytest.mark.pg_only
@pytest.mark.filterwarnings("ignore:Flask-Caching. CACHE_TYPE is set to NullCache:UserWarning")
def test_a_connection_killed_while_idle_is_replaced_transparently(backend, database_url, tmp_path):
    app, engine, pids = ping_app(database_url, tmp_path, idle_seconds=0.2)
    client = app.test_client()
    assert client.get(f"{LIST}?per_page=1").status_code == 200
    killed = list(pids)
    terminate(database_url, killed)
    time.sleep(0.3)  # arrange: the pooled connection is now idle past the threshold
    response = client.get(f"{LIST}?per_page=2")
    assert response.status_code == 200, response.get_json()
    assert set(pids) - set(killed), "the dead connection was not replaced"
    engine.dispose()


@pytest.mark.pg_only
@pytest.mark.filterwarnings("ignore:Flask-Caching. CACHE_TYPE is set to NullCache:UserWarning")
def test_a_connection_killed_within_the_threshold_fails_one_request_with_503(backend, database_url, tmp_path):
    app, engine, pids = ping_app(database_url, tmp_path, idle_seconds=3600)
    client = app.test_client()
    assert client.get(f"{LIST}?per_page=1").status_code == 200
    terminate(database_url, list(pids))
    failed = client.get(f"{LIST}?per_page=2")  # not pinged: the statement meets the dead connection
    assert failed.status_code == 503 and failed.get_json()["error"]["code"] == "database_unavailable"
    assert client.get(f"{LIST}?per_page=3").status_code == 200  # the pool was invalidated: fresh connections
    engine.dispose()


@pytest.mark.pg_only
@pytest.mark.filterwarnings("ignore:Flask-Caching. CACHE_TYPE is set to NullCache:UserWarning")
@pytest.mark.parametrize(("idle_seconds", "pinged"), [(3600, False), (0, True)])
def test_busy_connections_are_not_pinged_unless_the_threshold_is_0(backend, database_url, tmp_path, monkeypatch,
                                                                   idle_seconds, pinged):
    app, engine, _pids = ping_app(database_url, tmp_path, idle_seconds)
    pings = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    client = app.test_client()
    for n in range(1, 6):
        assert client.get(f"{LIST}?per_page={n}").status_code == 200
    assert (len(pings) >= 4) if pinged else pings == []  # the first checkout is of a fresh connection
    engine.dispose()
