"""Readiness means "migrated to head", and a database that is down is a 503 with Retry-After, not a 500."""

import logging
import os
import shutil

import pytest
import sqlalchemy as sa

from backend.config import normalise_database_url
from backend.health.services import migration_heads
from tests.conftest import make_app

READY = "/api/v1/health/ready"
DATA_URLS = ["/api/v1/coocook/chefs", "/api/v1/coocook/chefs/1", "/api/v1/products"]


def assert_unavailable(response, code="database_unavailable"):
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"].isdigit()
    error = response.get_json()["error"]
    assert error["code"] == code
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "psycopg2" not in body and "sqlite3" not in body
    return error


def test_ready_on_a_migrated_database(client, backend):
    response = client.get(READY)
    assert response.status_code == 200
    body = response.get_json()
    # "database" stays at the top level (what probes and tests read before the checks existed).
    assert body["status"] == "ready" and body["database"] == backend
    assert set(body["checks"]) == {"database"}  # Redis and the queue are /detailed's (issue 9 §8)
    assert body["checks"]["database"]["status"] == "ok"


def test_ready_is_503_on_a_database_without_tables(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path)
    error = assert_unavailable(app.test_client().get(READY))
    assert error["details"]["reason"] == "not migrated"


@pytest.fixture
def empty_pg_schema():
    """A fresh, empty PostgreSQL schema (skipped without TEST_DATABASE_URL)."""
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL readiness test skipped")
    engine = sa.create_engine(normalise_database_url(url))
    name = f"empty_{os.getpid()}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {name}")
    yield url, name, engine
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
    engine.dispose()


def test_ready_is_503_on_an_empty_postgresql_schema(empty_pg_schema, tmp_path):
    url, schema, engine = empty_pg_schema
    app = make_app(url, tmp_path, DB_SCHEMA=schema)
    client = app.test_client()
    assert assert_unavailable(client.get(READY))["details"]["reason"] == "not migrated"
    # A schema one release behind (alembic_version at an older revision) is not ready either.
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {schema}.alembic_version (version_num varchar(32) PRIMARY KEY)")
        conn.exec_driver_sql(f"INSERT INTO {schema}.alembic_version VALUES ('0002')")
    reason = assert_unavailable(client.get(READY))["details"]["reason"]
    assert reason.startswith("schema not at head: at 0002") and "head" in reason
    # The data endpoints on that schema answer 503 too (missing tables), not 500.
    for url in DATA_URLS:
        assert_unavailable(client.get(url))


def test_ready_is_503_when_alembic_version_is_behind(app, db):
    head = next(iter(migration_heads()))
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    try:
        reason = assert_unavailable(app.test_client().get(READY))["details"]["reason"]
        assert reason == f"schema not at head: at 0001, head {head}"
    finally:
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{head}'")
    assert app.test_client().get(READY).status_code == 200


def test_migration_head_is_computed_once():
    migration_heads.cache_clear()
    migration_heads()
    migration_heads()
    assert migration_heads.cache_info().misses == 1


def test_unreachable_postgresql_is_503_with_retry_after(tmp_path):
    # Port 1 on loopback: nothing listens there, so every connection attempt is refused at once.
    app = make_app("postgresql://postgres@127.0.0.1:1/test", tmp_path, DB_POOL_TIMEOUT=2)
    client = app.test_client()
    for url in DATA_URLS:
        assert_unavailable(client.get(url))
    assert_unavailable(client.get("/api/v1/coocook/bookings", headers={"Authorization": "Bearer " + "x" * 40}))
    assert_unavailable(client.get(READY))
    assert client.get("/api/v1/health").status_code == 200  # liveness touches no database


def test_database_errors_are_logged_as_one_line(tmp_path, caplog):
    app = make_app("postgresql://postgres@127.0.0.1:1/test", tmp_path)
    with caplog.at_level(logging.ERROR, logger="backend.errors"):
        assert_unavailable(app.test_client().get("/api/v1/coocook/chefs"))
    records = [r for r in caplog.records if r.name == "backend.errors"]
    assert len(records) == 1 and records[0].exc_info is None
    assert records[0].getMessage().startswith("database unavailable: OperationalError")


def test_sqlite_file_whose_directory_is_gone_is_503(tmp_path, database_urls):
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(database_urls("sqlite").split("///", 1)[1], folder / "app.db")
    app = make_app(f"sqlite:///{folder / 'app.db'}", tmp_path)
    client = app.test_client()
    assert client.get(READY).status_code == 200
    shutil.rmtree(folder)
    with app.app_context():
        from backend.extensions import db

        db.engine.dispose()  # pooled connections keep the unlinked file open; new ones cannot open it
    for url in DATA_URLS:
        assert_unavailable(client.get(url))
    assert_unavailable(client.get(READY))


def test_exhausted_pool_is_503_not_500(database_url, backend, tmp_path):
    """Every pooled connection busy past DB_POOL_TIMEOUT: the request gets a 503 with Retry-After."""
    if backend != "postgresql":
        pytest.skip("the pool size settings apply to PostgreSQL (SQLite's pool is not sized)")
    app = make_app(database_url, tmp_path, DB_POOL_SIZE=1, DB_MAX_OVERFLOW=0, DB_POOL_TIMEOUT=1)
    with app.app_context():
        from backend.extensions import db

        engine = db.engine
    held = engine.connect()  # the only connection
    try:
        assert_unavailable(app.test_client().get("/api/v1/coocook/chefs/1"))
    finally:
        held.close()
    assert app.test_client().get("/api/v1/coocook/chefs/1").status_code == 404
    engine.dispose()
