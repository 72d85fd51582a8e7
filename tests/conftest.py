"""Fixtures: `app`, `client`, `db` on every database backend, plus auth helpers and statement counts.

Every test that uses `app` runs twice: on SQLite (a WAL file in a temp dir) and on PostgreSQL when
TEST_DATABASE_URL is set. Without it the PostgreSQL half is skipped with a visible reason; with it
and the server unreachable, the run fails (never a silent skip). The schema comes only from the
migrations (`flask db upgrade`), once per session and backend; each test then starts from empty tables.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.orm import Session

from backend import create_app
from backend.config import TestingConfig, normalise_database_url
from backend.extensions import db as _db
from tests import factories

BACKENDS = ["sqlite", "postgresql"]


def _postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL", "").strip() or None


# Each pytest process gets its own PostgreSQL schema, so concurrent runs on one database never collide.
PG_SCHEMA = f"test_{os.getpid()}"


def make_app(url: str, tmp_path, **overrides):
    """A testing app on `url` with its own cache-generation file (and schema on PostgreSQL)."""
    config = {"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url,
              "CACHE_GENERATIONS_PATH": str(tmp_path / "cache-generations")}
    if not url.startswith("sqlite"):
        config["DB_SCHEMA"] = PG_SCHEMA
    return create_app({**config, **overrides})


def _postgres_schema(url: str, create: bool) -> None:
    engine = sa.create_engine(normalise_database_url(url))
    try:
        with engine.begin() as conn:  # fails loudly when the server is unreachable
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
            if create:
                conn.exec_driver_sql(f"CREATE SCHEMA {PG_SCHEMA}")
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    """One migrated database per backend for the whole session (created lazily)."""
    made: dict[str, str] = {}

    def get(backend: str) -> str:
        if backend not in made:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
            else:
                url = _postgres_url()
                if url is None:
                    pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL half of the suite skipped")
                _postgres_schema(url, create=True)
            app = make_app(url, tmp_path_factory.mktemp("migrate"))
            with app.app_context():
                upgrade()
                _db.engine.dispose()
            made[backend] = url
        return made[backend]

    yield get
    if "postgresql" in made:
        _postgres_schema(made["postgresql"], create=False)


def pytest_configure(config):
    """Start with an empty metrics directory: it is named by pid, and pids come round again (pid_max is
    32,768 on this machine), so an earlier run's files would be merged into this run's figures."""
    shutil.rmtree(TestingConfig.METRICS_DIR, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    """`sqlite_only` / `pg_only` tests run on that backend alone: the other half is deselected."""
    keep, drop = [], []
    for item in items:
        backend = getattr(getattr(item, "callspec", None), "params", {}).get("backend")
        only = "sqlite" if item.get_closest_marker("sqlite_only") else (
            "postgresql" if item.get_closest_marker("pg_only") else None)
        (drop if only and backend and backend != only else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """The database backend under test."""
    return request.param


@pytest.fixture
def database_url(backend, database_urls) -> str:
    """A migrated, empty database of `backend`."""
    return database_urls(backend)


def wipe(app) -> None:
    """Empty every table (schema stays: it is owned by the migrations)."""
    with app.app_context():
        _db.session.remove()
        for attempt in range(5):
            try:
                _wipe_tables()
                break
            except sa.exc.OperationalError as exc:
                # After a bulk load autovacuum may hold a table TRUNCATE needs: PostgreSQL reports a
                # deadlock and cancels one side. Try again rather than fail the next test.
                if "deadlock detected" not in str(exc) or attempt == 4:
                    raise
                time.sleep(0.5)
        _db.engine.dispose()


def _wipe_tables() -> None:
    with _db.engine.begin() as conn:
        tables = [t.name for t in reversed(_db.metadata.sorted_tables)]  # children first
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                conn.exec_driver_sql(f"DELETE FROM {table}")


@pytest.fixture
def app(database_url, tmp_path):
    """The app on an empty, migrated database of the current backend."""
    application = make_app(database_url, tmp_path)
    yield application
    wipe(application)


@pytest.fixture
def client(app):
    """Flask test client."""
    return app.test_client()


@dataclass
class DbHandle:
    """What tests use to arrange and inspect data: a plain session and the app's engine."""

    session: Session
    engine: sa.Engine


@pytest.fixture
def db(app):
    """A session on the app's database for arranging data (factories use it).

    It is deliberately not the app's scoped session and no app context stays pushed, so each
    test-client request gets its own context and session, exactly as under a real server.
    """
    with app.app_context():
        engine = _db.engine
    session = Session(engine, expire_on_commit=False)
    factories.SESSION = session
    yield DbHandle(session, engine)
    factories.SESSION = None
    session.close()


def statements(response) -> int:
    """SQL statements the request issued, read from its Server-Timing header."""
    match = re.search(r'db;dur=[\d.]+;desc="(\d+) queries"', response.headers.get("Server-Timing", ""))
    assert match, f"no Server-Timing db entry in {response.headers.get('Server-Timing')!r}"
    return int(match.group(1))


@pytest.fixture
def make_user(app):
    """Create a user (any role) through the service and return (user dict, auth header)."""
    from backend.auth import services

    counter = iter(range(1, 10_000))

    def make(role: str = "user", **chef):
        n = next(counter)
        with app.app_context():
            user = services.create_user(f"{role}{n}@example.com", "password-123", f"{role.title()} {n}", role,
                                        chef or None)
            token = services.issue_token(user["id"])["token"]
            _db.session.remove()
        return user, {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def redis_url():
    """TEST_REDIS_URL; skipped with a reason when unset, failing when set but unreachable.

    Tests use their own key prefixes (never FLUSHDB: other runs may share the database).
    """
    url = os.environ.get("TEST_REDIS_URL", "").strip()
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: Redis tests skipped")
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    client.ping()  # raises when the server is unreachable: a configured Redis must be there
    yield url
    client.close()
