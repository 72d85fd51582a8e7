"""Base model, naming convention, engine tuning (SQLite pragmas, PostgreSQL pool) and write transactions.

PostgreSQL: connections are pinged on checkout only after DB_PING_IDLE_SECONDS idle (see
`ping_when_idle`), not on every checkout as `pool_pre_ping` does; statements carrying the
`PREPARED` execution option run as server-side prepared statements (see `execute_prepared`).

SQLite: WAL, synchronous=NORMAL, busy_timeout, foreign keys, sized page cache and mmap; pysqlite's
own transaction handling is switched off so that we emit BEGIN ourselves, and a write transaction
begins with BEGIN IMMEDIATE: a deferred transaction that upgrades from read to write fails with
"database is locked" even under a busy timeout, an immediate one waits its turn.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import MetaData, event, exc
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
    if config.get("DB_PREPARED_STATEMENTS"):
        # Prepared statements use their generic plan from the first execution (see execute_prepared).
        options += " -c plan_cache_mode=force_generic_plan"
    if config.get("DB_SCHEMA"):  # an isolated schema (tests run several sessions against one database)
        options += f" -c search_path={config['DB_SCHEMA']}"
    return {
        "pool_size": config["DB_POOL_SIZE"],
        "max_overflow": config["DB_MAX_OVERFLOW"],
        "pool_pre_ping": False,  # replaced by ping_when_idle (tune_engine): no ping round trip under load
        "pool_recycle": config["DB_POOL_RECYCLE"],
        "pool_timeout": config["DB_POOL_TIMEOUT"],
        "connect_args": {"options": options, "connect_timeout": 5},
    }


CHECKED_IN_AT = "sf_checked_in_at"  # connection record info: monotonic time of the last check-in


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection on checkout only when it sat idle in the pool for over `idle_seconds`.

    `pool_pre_ping` spends a round trip (a SELECT 1: 0.022 ms of loopback wall time, plus a wake-up
    of the backend and its CPU) on every checkout, i.e. on every request. Connections go stale when
    they sit idle (a server restart, a firewall or pgbouncer dropping idle sessions,
    idle_session_timeout), so the ping is kept there:
    a connection idle longer than the threshold is pinged, and a dead one raises DisconnectionError,
    on which the pool discards it and checks out a fresh connection (the request never sees it).
    Under load a connection returns to the pool within milliseconds and is handed out unpinged.
    A connection killed within the threshold fails its first statement: SQLAlchemy flags the error
    `connection_invalidated` and invalidates the whole pool (every older connection reconnects on
    its next checkout), and the error handler answers that request with a 503 database_unavailable.
    A fresh connection (no check-in yet) is never pinged. 0 pings on every checkout.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info[CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        checked_in_at = record.info.get(CHECKED_IN_AT)  # cleared with the info when the record reconnects
        if checked_in_at is None:  # fresh from connect()
            return
        if idle_seconds > 0 and time.monotonic() - checked_in_at <= idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError(f"idle connection lost: {error}") from error
            raise


PREPARED = "sf_prepared"  # execution option: run this statement as a PostgreSQL prepared statement
_PYFORMAT = re.compile(r"%\((\w+)\)s")
_prepared_sql: dict[str, tuple[str, str]] = {}  # statement text -> (PREPARE sql, EXECUTE sql)


def _prepared_forms(statement: str) -> tuple[str, str]:
    """`PREPARE sf_<hash> AS <statement with $n>` and `EXECUTE sf_<hash>(%(a)s, ...)` for a pyformat statement."""
    forms = _prepared_sql.get(statement)
    if forms is None:
        names = list(dict.fromkeys(_PYFORMAT.findall(statement)))  # first appearance order: $1, $2, ...
        # Sent without parameters, so psycopg2 leaves %% as is: unescape it for the server.
        positional = _PYFORMAT.sub(lambda m: f"${names.index(m.group(1)) + 1}", statement).replace("%%", "%")
        name = "sf_" + hashlib.sha1(statement.encode()).hexdigest()[:16]
        arguments = f"({', '.join(f'%({n})s' for n in names)})" if names else ""
        forms = _prepared_sql[statement] = (f"PREPARE {name} AS {positional}", f"EXECUTE {name}{arguments}")
    return forms


def execute_prepared(engine: Engine) -> None:
    """Run statements that carry the `PREPARED` execution option as server-side prepared statements.

    psycopg2 sends every statement as text, and PostgreSQL plans it anew on each execution. For the
    chef detail statement (a chef joined to its latest reviews) planning costs more than running it:
    0.34 ms a call plain vs 0.09 ms prepared (loopback, SCALE=large, 3,000 calls; EXPLAIN ANALYZE:
    ~0.15 ms planning vs ~0.05 ms execution); the unfiltered list page 0.12 ms vs 0.057 ms.
    Connections run with plan_cache_mode=force_generic_plan (engine_options): with the default
    (auto) a `LIMIT $1` keeps PostgreSQL re-planning the list page on every execution (its generic
    estimate assumes 10% of the rows), which gains nothing. So a statement marked PREPARED must have
    one right plan whatever its parameter values (an id, a LIMIT/OFFSET, a keyset position); the
    query-plan tests check the generic plan of each. Filtered lists (a min_rating of 0 or 4.9 wants a
    different index) are not marked. Only marked statements and PL/pgSQL (the chef_counters
    triggers) use plan caching, so the setting touches nothing else.
    Each pooled connection prepares a statement once, as a round trip of its own on first use (the
    names it holds live in the connection record's info, which a reconnect clears); afterwards the
    statement goes out as `EXECUTE name(values)`. This hook runs below the cursor-execute events, so
    statement observers (timing, counts, query-plan tests) still see the SELECT and its parameters.
    A migration that changes the type of a selected column makes EXECUTE fail ("cached plan must
    not change result type") on connections that prepared before it: restart the workers after one.
    Off with DB_PREPARED_STATEMENTS=false, e.g. behind a transaction-pooling pgbouncer.
    """

    @event.listens_for(engine, "do_execute")
    def _do_execute(cursor, statement, parameters, context):
        if not context.execution_options.get(PREPARED):
            return None
        prepare, execute = _prepared_forms(statement)
        held = context.root_connection.connection.info.setdefault(PREPARED, set())
        if prepare not in held:
            cursor.execute(prepare)
            held.add(prepare)
        cursor.execute(execute, parameters)
        return True


def tune_engine(engine: Engine, config: dict[str, Any]) -> None:
    """Attach the idle ping (and prepared statements) to PostgreSQL; pragmas and BEGIN handling to SQLite."""
    if engine.dialect.name == "postgresql":
        ping_when_idle(engine, float(config["DB_PING_IDLE_SECONDS"]))
        if config["DB_PREPARED_STATEMENTS"]:
            execute_prepared(engine)
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


def delete_expired(session, model, batch: int = 10_000) -> int:
    """Delete rows of `model` whose `expires_at` has passed, in batches of short write transactions.

    Short transactions keep the write lock (SQLite) and row locks (PostgreSQL) brief while a
    large backlog is purged; returns how many rows went.
    """
    from sqlalchemy import delete, select

    from backend.common.models import utcnow

    removed = 0
    while True:
        with write_transaction(session) as tx:
            stale = select(model.id).where(model.expires_at <= utcnow()).limit(batch)
            count = tx.execute(delete(model).where(model.id.in_(stale))).rowcount
        removed += count
        if count < batch:
            return removed


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


def own_tables(engine: Engine, metadata: MetaData) -> str:
    """The app's tables as a quoted, comma-separated list for ANALYZE / VACUUM on PostgreSQL.

    A bare `ANALYZE` or `VACUUM` visits every table of the database, other schemas included: in a
    database shared with other applications (or with concurrent test runs, one schema each) it
    takes their tables' locks too, and a bare ANALYZE deadlocked against another schema's
    TRUNCATE. Unqualified names resolve through the connection's search_path (DB_SCHEMA).
    """
    quote = engine.dialect.identifier_preparer.quote
    return ", ".join(quote(table.name) for table in metadata.sorted_tables)
