"""`flask seed --scale small|large|xl [--if-empty]`: every domain's demo and load-test data.

Each domain declares a seed function (`Domain.seed`, run in `seed_order`) that receives a
`SeedContext`: the sizes of the scale, a seeded random generator, "now", `insert()` for bulk rows
and a `shared` dict for what later domains need (the accounts' ids). The whole seed is one
transaction: every table is emptied (children first, from `db.metadata.sorted_tables`), the
domains load their rows, then sequences are moved past explicit ids, statistics refreshed and
every cached response invalidated. Demo accounts (README) are always present.

large = 10,000 chefs, 50,000 users, 500,000 bookings, 100,000 reviews; xl is 10x that.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import JSON, delete, func, insert, select, text

from backend.database import own_tables
from backend.extensions import db

SCALES = {
    "small": {"chefs": 200, "users": 1_000, "bookings": 5_000, "reviews": 1_000},
    "large": {"chefs": 10_000, "users": 50_000, "bookings": 500_000, "reviews": 100_000},
    "xl": {"chefs": 100_000, "users": 500_000, "bookings": 5_000_000, "reviews": 1_000_000},
}
CHUNK = 20_000
NULL = "\\N"  # COPY's NULL marker (generated data never contains it as text)


def insert_rows(model, rows) -> None:
    """Insert an iterable of dicts in chunks: COPY on PostgreSQL, else Core executemany.

    Core on the table, not the ORM bulk path, which costs ~5 us of bookkeeping per row.
    """
    conn, statement = db.session.connection(), insert(model.__table__)
    copyable = not any(isinstance(c.type, JSON) for c in model.__table__.columns)  # CSV cannot carry JSON
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, CHUNK)):
        if conn.dialect.name == "postgresql" and copyable:
            _copy(conn, model.__tablename__, chunk)
        else:
            conn.execute(statement, chunk)


def _copy(conn, table: str, rows: list[dict]) -> None:
    r"""PostgreSQL COPY FROM STDIN (CSV) of same-shaped dicts: ~5x faster than multi-row INSERTs.

    None is written as \\N, the NULL marker (so an empty string stays an empty string); dates and
    datetimes in ISO form, booleans as True/False, which PostgreSQL reads.
    """
    columns = list(rows[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([NULL if value is None else value.isoformat() if isinstance(value, dt.date) else value
                         for value in row.values()])
    buffer.seek(0)
    with conn.connection.driver_connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')",
                           buffer)


@contextmanager
def indexes_deferred(*tables):
    """Drop the secondary indexes of `tables` for a bulk load and build them again after it.

    Building an index once from sorted data is several times cheaper than maintaining it through
    half a million random-order inserts. Same transaction (SQLite and PostgreSQL DDL is
    transactional), so a failed seed rolls back to the indexed schema; rebuilding the partial
    unique index re-checks "one live booking per chef, date and slot" over the whole load.
    """
    conn = db.session.connection()
    indexes = [index for table in tables for index in table.indexes]
    for index in indexes:
        index.drop(conn)
    yield
    for index in indexes:
        index.create(conn)


def _wipe() -> None:
    """Remove every row of every table (children first)."""
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        # One TRUNCATE: a DELETE leaves dead tuples that each cascade check of the next DELETE scans.
        db.session.execute(text(f"TRUNCATE {', '.join(t.name for t in tables)} RESTART IDENTITY CASCADE"))
        return
    for table in tables:
        db.session.execute(delete(table))


@dataclass
class SeedContext:
    """What a domain's seed function gets."""

    scale: str
    sizes: dict[str, int]
    rng: random.Random
    now: dt.datetime
    shared: dict[str, Any] = field(default_factory=dict)  # e.g. "user_ids", "demo_user_ids" from auth
    bulk_tables: list[Any] = field(default_factory=list)  # tables whose indexes a domain deferred

    insert = staticmethod(insert_rows)
    indexes_deferred = staticmethod(indexes_deferred)


def seed(scale: str = "small", if_empty: bool = False, rng_seed: int = 42) -> dict:
    """Empty every table and let each domain load `scale` data; returns row counts and seconds."""
    from backend.caching import invalidate
    from backend.common.domain import domains

    started = time.perf_counter()
    tables = db.metadata.sorted_tables
    if if_empty and any(db.session.execute(select(func.count()).select_from(t)).scalar_one()
                        for t in tables if t.name == "users"):
        return {"skipped": True}
    context = SeedContext(scale, SCALES[scale], random.Random(rng_seed), dt.datetime.now(dt.UTC).replace(tzinfo=None))
    if db.engine.dialect.name == "postgresql":  # index builds and counter UPDATEs outlast a request's limit
        db.session.execute(text("SET LOCAL statement_timeout = 0"))
    _wipe()
    namespaces: set[str] = set()
    for domain in sorted((d for d in domains(current_app) if d.seed), key=lambda d: d.seed_order):
        namespaces |= set(domain.seed(context) or ())
    db.session.commit()
    _sync_sequences()
    _analyze()
    invalidate(*sorted(namespaces))
    counts = {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}
    seconds = round(time.perf_counter() - started, 1)
    return {"scale": scale, **{name: n for name, n in counts.items() if n}, "seconds": seconds}


def _sync_sequences() -> None:
    """Explicit ids leave PostgreSQL sequences behind; move them past the loaded rows."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" not in table.c or not table.c.id.autoincrement or table.c.id.type.python_type is not int:
            continue
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"))
    db.session.commit()


def _analyze() -> None:
    """Fresh planner statistics after a bulk load.

    On PostgreSQL also VACUUM, which sets the visibility map, so counts and keyset pages run as
    index-only scans from the first request instead of after autovacuum gets round to the tables.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # cannot run inside a transaction block; only our tables (database.own_tables says why)
            conn.exec_driver_sql(f"VACUUM ANALYZE {own_tables(db.engine, db.metadata)}")
        return
    db.session.execute(text("ANALYZE"))
    db.session.commit()


@click.command("seed")
@click.option("--scale", type=click.Choice(sorted(SCALES)), default="small", show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when users already exist (used by `make run`).")
@with_appcontext
def seed_command(scale: str, if_empty: bool) -> None:
    """Replace all data with demo accounts plus SCALE generated data."""
    result = seed(scale, if_empty)
    click.echo("database already has data; not seeding" if result.get("skipped") else f"seeded {result}")
