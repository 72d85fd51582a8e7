"""Demo and load-test data: `flask seed --scale small|large|xl [--if-empty]`.

large = 10,000 chefs, 50,000 users, 500,000 bookings, 100,000 reviews; xl is 10x that. Chef
popularity is Zipf-skewed (Zipf-Mandelbrot: the top 1% of chefs take about a third of all
bookings, the median chef a dozen). Each chef's bookings take distinct (date, slot) pairs spread
over the last two years and the next two months (the busiest chefs, who would not fit, go further
back), so live slots never clash; past bookings are completed or cancelled, future ones pending or
confirmed, and reviews are a random sample of completed bookings, rated around a per-chef quality.
Rows go in through Core executemany in a few transactions; counters (rating, rating_count,
booking_count) are then computed in SQL, so they are exact by construction. Demo accounts (README)
are always present.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import random
import time
from collections import Counter
from contextlib import contextmanager

import click
from flask.cli import with_appcontext
from sqlalchemy import delete, func, insert, select, text

from backend.auth.models import AuthToken, User
from backend.auth.services import hash_password
from backend.coocook.models import Booking, Chef, Review
from backend.extensions import db
from backend.products.models import Product

SCALES = {
    "small": {"chefs": 200, "users": 1_000, "bookings": 5_000, "reviews": 1_000},
    "large": {"chefs": 10_000, "users": 50_000, "bookings": 500_000, "reviews": 100_000},
    "xl": {"chefs": 100_000, "users": 500_000, "bookings": 5_000_000, "reviews": 1_000_000},
}
DEMO_USERS = [
    ("admin@softfactory.dev", "admin-password", "Ada Admin", "admin"),
    ("chef@softfactory.dev", "chef-password", "Charlie Chef", "chef"),
    ("user@softfactory.dev", "user-password", "Uma User", "user"),
]
LOAD_PASSWORD = "load-password"  # every generated user#@load.test account shares it (load tests sign in)
CUISINES = ["italian", "french", "korean", "japanese", "mexican", "indian", "thai", "spanish", "greek",
            "vietnamese", "lebanese", "american"]
LOCATIONS = ["Seoul", "Busan", "Tokyo", "Osaka", "Paris", "Lyon", "London", "Berlin", "Madrid", "Rome",
             "New York", "Chicago", "Austin", "Toronto", "Sydney", "Melbourne", "Lisbon", "Vienna"]
PRODUCTS = [
    ("CooCook Basic", "Book chefs with no booking fee", 9.99, "month", ["no booking fee", "email support"]),
    ("CooCook Plus", "Priority booking and menu planning", 19.99, "month",
     ["no booking fee", "priority booking", "menu planning"]),
    ("CooCook Pro", "For households that host often", 199.0, "year",
     ["no booking fee", "priority booking", "menu planning", "dedicated concierge"]),
]
CHUNK = 20_000
NULL = "\\N"  # COPY's NULL marker (generated data never contains it as text)


def _insert(model, rows) -> None:
    """Insert an iterable of dicts in chunks: COPY on PostgreSQL, else Core executemany on the table
    (not the ORM bulk path, which costs ~5 us of bookkeeping per row)."""
    conn, statement = db.session.connection(), insert(model.__table__)
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, CHUNK)):
        if conn.dialect.name == "postgresql" and model is not Product:  # Product has a JSON column
            _copy(conn, model.__tablename__, chunk)
        else:
            conn.execute(statement, chunk)


def _copy(conn, table: str, rows: list[dict]) -> None:
    """PostgreSQL COPY FROM STDIN (CSV) of same-shaped dicts: ~5x faster than multi-row INSERTs.

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
def _indexes_deferred(*tables):
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
    """Remove every row the seed replaces (children first)."""
    models = (Review, Booking, AuthToken, Chef, User, Product)
    if db.engine.dialect.name == "postgresql":
        # One TRUNCATE: a DELETE leaves dead tuples that each cascade check of the next DELETE scans.
        # CASCADE: any other table pointing at these rows would be left dangling otherwise.
        names = ", ".join(model.__tablename__ for model in models)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    for model in models:
        db.session.execute(delete(model))


def _users(n: int, start_id: int, password_hash: str, now: dt.datetime):
    for i in range(n):
        uid = start_id + i
        yield {"id": uid, "email": f"user{uid}@load.test", "password_hash": password_hash,
               "name": f"User {uid}", "role": "user", "created_at": now - dt.timedelta(minutes=uid)}


def _chefs(n: int, start_id: int, rng: random.Random, now: dt.datetime):
    for i in range(n):
        cid = start_id + i
        yield {"id": cid, "user_id": None, "name": f"Chef {cid}", "bio": f"Seasonal {CUISINES[cid % 12]} cooking.",
               "cuisine_type": rng.choice(CUISINES), "location": rng.choice(LOCATIONS),
               "price_per_session": round(rng.uniform(40, 400), 2), "rating": 0.0, "rating_count": 0,
               "is_active": rng.random() > 0.02, "booking_count": 0,
               "created_at": now - dt.timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))}


ZIPF_S, ZIPF_Q = 1.1, 20  # popularity of the chef at rank r is proportional to 1 / (r + 1 + Q) ** S
DAYS_BACK, DAYS_AHEAD = 730, 60  # where bookings fall (load tests book from today+365 on, so never clash)


def _bookings(n: int, chef_ids: list[int], user_ids: list[int], rng: random.Random, today: dt.date,
              now: dt.datetime, completed: list[tuple[int, int, int, dt.date]]):
    """Zipf-skewed chefs, each booking on its own (date, slot) of that chef; appends completed ones."""
    weights = list(itertools.accumulate(1 / (rank + 1 + ZIPF_Q) ** ZIPF_S for rank in range(len(chef_ids))))
    picks = rng.choices(chef_ids, cum_weights=weights, k=n)
    window = 2 * (DAYS_BACK + DAYS_AHEAD + 1)  # (date, slot) pairs: slot number i is day AHEAD - i // 2
    free = {chef: rng.sample(range(max(window, count)), count) for chef, count in Counter(picks).items()}
    last_day = today + dt.timedelta(days=DAYS_AHEAD)
    for bid, chef_id in enumerate(picks, start=1):
        i = free[chef_id].pop()
        date = last_day - dt.timedelta(days=i // 2)
        user_id = rng.choice(user_ids)
        booked_at = min(now, dt.datetime.combine(date, dt.time(9)) - dt.timedelta(
            days=rng.randint(1, 45), minutes=rng.randrange(24 * 60)))
        if date >= today:
            status, updated_at = rng.choice(("pending", "confirmed")), booked_at
        else:
            status = "cancelled" if rng.random() < 0.1 else "completed"
            updated_at = min(now, dt.datetime.combine(date, dt.time(22)))
            if status == "completed":
                completed.append((bid, chef_id, user_id, date))
        yield {"id": bid, "user_id": user_id, "chef_id": chef_id, "date": date,
               "slot": "lunch" if i % 2 else "dinner", "guests": rng.randint(1, 8), "status": status,
               "price": 100.0, "created_at": booked_at, "updated_at": updated_at}


def _reviews(n: int, completed: list[tuple[int, int, int, dt.date]], rng: random.Random, now: dt.datetime):
    """A random sample of completed bookings, in date order, rated around each chef's own quality."""
    quality: dict[int, float] = {}
    sample = sorted(rng.sample(completed, min(n, len(completed))), key=lambda b: (b[3], b[0]))
    for booking_id, chef_id, user_id, date in sample:
        mean = quality.setdefault(chef_id, rng.uniform(2.8, 4.9))
        yield {"booking_id": booking_id, "chef_id": chef_id, "user_id": user_id,
               "rating": min(5, max(1, round(rng.gauss(mean, 0.9)))),
               "comment": "Lovely evening." if booking_id % 3 else "Great food, would book again.",
               "created_at": min(now, dt.datetime.combine(date, dt.time(22)) + dt.timedelta(
                   minutes=rng.randrange(72 * 60)))}


def _refresh_counters() -> None:
    """rating, rating_count and booking_count from the rows themselves (exact by construction)."""
    db.session.execute(text("""
        UPDATE chefs SET
          booking_count = (SELECT count(*) FROM bookings b WHERE b.chef_id = chefs.id AND b.status <> 'cancelled'),
          rating_count = (SELECT count(*) FROM reviews r WHERE r.chef_id = chefs.id),
          rating = COALESCE((SELECT avg(r.rating) FROM reviews r WHERE r.chef_id = chefs.id), 0)"""))


def _load(sizes: dict[str, int], rng: random.Random, now: dt.datetime) -> None:
    """Demo accounts, generated users and chefs, products, bookings and reviews."""
    for i, (email, password, name, role) in enumerate(DEMO_USERS, start=1):
        db.session.execute(insert(User).values(id=i, email=email, password_hash=hash_password(password), name=name,
                                               role=role, created_at=now))
    first_user = len(DEMO_USERS) + 1
    _insert(User, _users(sizes["users"], first_user, hash_password(LOAD_PASSWORD), now))
    db.session.execute(insert(Chef).values(id=1, user_id=2, name="Charlie Chef", bio="Demo chef: Korean home food.",
                                           cuisine_type="korean", location="Seoul", price_per_session=120.0,
                                           created_at=now))
    _insert(Chef, _chefs(sizes["chefs"] - 1, 2, rng, now))
    _insert(Product, ({"name": n, "description": d, "price": p, "interval": i, "features": f, "is_active": True,
                       "created_at": now} for n, d, p, i, f in PRODUCTS))
    user_ids = list(range(first_user, first_user + sizes["users"])) + [3]
    completed: list[tuple[int, int, int, dt.date]] = []
    _insert(Booking, _bookings(sizes["bookings"], list(range(1, sizes["chefs"] + 1)), user_ids, rng, now.date(),
                               now, completed))
    _insert(Review, _reviews(sizes["reviews"], completed, rng, now))


def seed(scale: str = "small", if_empty: bool = False, rng_seed: int = 42) -> dict:
    """Load demo accounts, products and `scale` data; returns counts and seconds."""
    started = time.perf_counter()
    if if_empty and db.session.execute(select(func.count()).select_from(User)).scalar_one():
        return {"skipped": True}
    sizes, rng = SCALES[scale], random.Random(rng_seed)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if db.engine.dialect.name == "postgresql":  # index builds and the counter UPDATE outlast a request's limit
        db.session.execute(text("SET LOCAL statement_timeout = 0"))
    with _indexes_deferred(Booking.__table__, Review.__table__):  # the wipe is cheaper without them too
        _wipe()
        _load(sizes, rng, now)
    _refresh_counters()
    db.session.commit()
    _sync_sequences()
    _analyze()
    from backend.common.cache import invalidate

    invalidate("chefs", "products")
    counts = {m.__tablename__: db.session.execute(select(func.count()).select_from(m)).scalar_one()
              for m in (User, Chef, Booking, Review, Product)}
    return {"scale": scale, **counts, "seconds": round(time.perf_counter() - started, 1)}


def _sync_sequences() -> None:
    """Explicit ids leave PostgreSQL sequences behind; move them past the loaded rows."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("users", "chefs", "bookings", "reviews", "products", "auth_tokens"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"))
    db.session.commit()


def _analyze() -> None:
    """Fresh planner statistics after a bulk load; on PostgreSQL also VACUUM, which sets the
    visibility map, so counts and keyset pages run as index-only scans from the first request
    instead of after autovacuum gets round to the new tables."""
    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")  # cannot run inside a transaction block
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
