"""Base model, naming convention, engine tuning (SQLite pragmas, PostgreSQL pool) and write transactions.

SQLite: WAL, synchronous=NORMAL, busy_timeout, foreign keys, sized page cache and mmap; pysqlite's
own transaction handling is switched off so that we emit BEGIN ourselves, and a write transaction
begins with BEGIN IMMEDIATE: a deferred transaction that upgrades from read to write fails with
"database is locked" even under a busy timeout, an immediate one waits its turn.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, scoped_session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

IMMEDIATE = "sf_begin_immediate"


class Base(DeclarativeBase):
    """Declarative base whose metadata carries the naming convention migrations rely on."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def is_sqlite(url: str) -> bool:
    """True for the embedded SQLite default."""
    return url.startswith("sqlite")


def engine_options(config: dict[str, Any]) -> dict[str, Any]:
    """SQLAlchemy engine options for the configured database."""
    url = config["SQLALCHEMY_DATABASE_URI"]
    if is_sqlite(url):
        # Each connection is used by one thread at a time; the pool hands them out.
        return {"connect_args": {"check_same_thread": False, "timeout": config["SQLITE_BUSY_TIMEOUT_MS"] / 1000}}
    options = f"-c statement_timeout={int(config['DB_STATEMENT_TIMEOUT_MS'])}"
    if config.get("DB_SCHEMA"):  # an isolated schema (tests run several sessions against one database)
        options += f" -c search_path={config['DB_SCHEMA']}"
    return {
        "pool_size": config["DB_POOL_SIZE"],
        "max_overflow": config["DB_MAX_OVERFLOW"],
        "pool_pre_ping": True,
        "pool_recycle": config["DB_POOL_RECYCLE"],
        "pool_timeout": config["DB_POOL_TIMEOUT"],
        "connect_args": {"options": options, "connect_timeout": 5},
    }


def tune_engine(engine: Engine, config: dict[str, Any]) -> None:
    """Attach the per-connection pragmas and our BEGIN handling to a SQLite engine."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see module doc)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(config['SQLITE_BUSY_TIMEOUT_MS'])}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA cache_size=-{int(config['SQLITE_CACHE_KB'])}")
        cursor.execute(f"PRAGMA mmap_size={int(config['SQLITE_MMAP_BYTES'])}")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    database = engine.url.database
    if config.get("SQLITE_WRITE_LOCK", True) and database and database != ":memory:":
        engine._sf_write_lock = WriteLock(f"{database}-writelock")

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get(IMMEDIATE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class WriteLock:
    """SQLite writers of this host take turns on a file lock instead of in SQLite's busy handler.

    SQLite has one writer at a time. A second BEGIN IMMEDIATE waits in the busy handler, which
    sleeps 1, 2, 5, 10, 15, 20, 25 ms... between retries, so under load every collision costs
    milliseconds of idle worker time while the lock is long free. An exclusive `flock` on a file
    beside the database (plus a thread lock: flock does not exclude threads of one process) wakes
    the next writer the moment the previous one commits. Processes that do not take it (a CLI
    command) still meet the busy timeout, as before.
    """

    def __init__(self, path: str):
        """Lock on `path` (created on first use, once per process)."""
        self.path = path
        self._fd: int | None = None
        self._pid = 0
        self._thread_lock = threading.RLock()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the host-wide write turn."""
        with self._thread_lock:
            if self._pid != os.getpid():  # after a fork the descriptor is the parent's: open our own
                self._fd, self._pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)


def write_lock_for(engine: Engine) -> WriteLock | None:
    """The engine's WriteLock (SQLite files only)."""
    return getattr(engine, "_sf_write_lock", None)


@contextmanager
def write_transaction(session) -> Iterator[Any]:
    """One write transaction: ends any open read snapshot, begins IMMEDIATE on SQLite, commits or rolls back.

    On SQLite the transaction runs inside the host's write turn (WriteLock).
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction():
        session.commit()  # only reads so far (e.g. the auth lookup); release that snapshot
    lock = write_lock_for(session.get_bind())
    with lock.held() if lock is not None else nullcontext():
        session.connection(execution_options={IMMEDIATE: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_connection(engine: Engine) -> Iterator[Any]:
    """A pooled connection for a read that is one statement (or needs no snapshot across statements).

    On PostgreSQL the driver connection is put in autocommit for the duration: psycopg2 otherwise
    spends a round trip on BEGIN and another on ROLLBACK around the one SELECT (~0.1 ms each on
    loopback, more than the SELECT). The flag is flipped on the psycopg2 connection itself, a
    client-side attribute, because SQLAlchemy's isolation_level="AUTOCOMMIT" resets the level on
    return with a server round trip of its own. On SQLite BEGIN is a local call (no round trip)
    and keeps several statements on one snapshot, so nothing changes there.
    """
    with engine.connect() as conn:
        if engine.dialect.name != "postgresql":
            yield conn
            return
        driver = conn.connection.driver_connection  # checked out and reset: no transaction open
        driver.autocommit = True
        try:
            yield conn
        finally:
            if not driver.closed:
                driver.autocommit = False  # before the pool sees it again


def dispose_after_fork(engine: Engine) -> None:
    """In a forked worker, drop the parent's pooled connections without closing them under it."""
    engine.dispose(close=False)
