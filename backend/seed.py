"""Demo and load-test data: `flask seed --scale small|large|xl [--if-empty]`.

large = 10,000 chefs, 50,000 users, 500,000 bookings, 100,000 reviews; xl is 10x that. Chef
popularity is Zipf-skewed (a few chefs take most bookings). Rows go in through Core executemany
in a few transactions; counters (rating, rating_count, booking_count) are then computed in SQL, so
they are exact by construction. Demo accounts (README) are always present.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import time

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


def _insert(table, rows) -> None:
    """Insert an iterable of dicts in chunks (Core executemany: no ORM objects)."""
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, CHUNK)):
        db.session.execute(insert(table), chunk)


def _wipe() -> None:
    for model in (Review, Booking, AuthToken, Chef, User, Product):
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


def _bookings(n: int, chef_ids: list[int], user_ids: list[int], rng: random.Random, today: dt.date,
              now: dt.datetime):
    """Zipf-skewed chefs; each chef's bookings walk back one slot at a time, so live slots never clash."""
    weights = list(itertools.accumulate(1 / (rank + 1) ** 1.1 for rank in range(len(chef_ids))))
    per_chef: dict[int, int] = {}
    for bid, chef_id in enumerate(rng.choices(chef_ids, cum_weights=weights, k=n), start=1):
        k = per_chef[chef_id] = per_chef.get(chef_id, -1) + 1
        date = today + dt.timedelta(days=30 - k // 2)
        status = (rng.choice(("pending", "confirmed")) if date >= today
                  else "cancelled" if rng.random() < 0.1 else "completed")
        yield {"id": bid, "user_id": rng.choice(user_ids), "chef_id": chef_id, "date": date,
               "slot": "lunch" if k % 2 == 0 else "dinner", "guests": rng.randint(1, 8), "status": status,
               "price": 100.0, "created_at": now - dt.timedelta(days=k // 2 + 31), "updated_at": now}


def _refresh_counters() -> None:
    """rating, rating_count and booking_count from the rows themselves (exact by construction)."""
    db.session.execute(text("""
        UPDATE chefs SET
          booking_count = (SELECT count(*) FROM bookings b WHERE b.chef_id = chefs.id AND b.status <> 'cancelled'),
          rating_count = (SELECT count(*) FROM reviews r WHERE r.chef_id = chefs.id),
          rating = COALESCE((SELECT avg(r.rating) FROM reviews r WHERE r.chef_id = chefs.id), 0)"""))


def seed(scale: str = "small", if_empty: bool = False, rng_seed: int = 42) -> dict:
    """Load demo accounts, products and `scale` data; returns counts and seconds."""
    started = time.perf_counter()
    if if_empty and db.session.execute(select(func.count()).select_from(User)).scalar_one():
        return {"skipped": True}
    sizes, rng = SCALES[scale], random.Random(rng_seed)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    today = now.date()
    _wipe()
    demo_ids = []
    for i, (email, password, name, role) in enumerate(DEMO_USERS, start=1):
        db.session.execute(insert(User).values(id=i, email=email, password_hash=hash_password(password), name=name,
                                               role=role, created_at=now))
        demo_ids.append(i)
    first_user = len(DEMO_USERS) + 1
    _insert(User, _users(sizes["users"], first_user, hash_password(LOAD_PASSWORD), now))
    db.session.execute(insert(Chef).values(id=1, user_id=2, name="Charlie Chef", bio="Demo chef: Korean home food.",
                                           cuisine_type="korean", location="Seoul", price_per_session=120.0,
                                           created_at=now))
    _insert(Chef, _chefs(sizes["chefs"] - 1, 2, rng, now))
    _insert(Product, ({"name": n, "description": d, "price": p, "interval": i, "features": f, "is_active": True,
                       "created_at": now} for n, d, p, i, f in PRODUCTS))
    user_ids = list(range(first_user, first_user + sizes["users"])) + [3]
    _insert(Booking, _bookings(sizes["bookings"], list(range(1, sizes["chefs"] + 1)), user_ids, rng, today, now))
    completed = db.session.execute(select(Booking.id, Booking.chef_id, Booking.user_id)
                                   .where(Booking.status == "completed").order_by(Booking.id)
                                   .limit(sizes["reviews"])).all()
    _insert(Review, ({"booking_id": b.id, "chef_id": b.chef_id, "user_id": b.user_id,
                      "rating": rng.choices((1, 2, 3, 4, 5), (1, 2, 5, 12, 20))[0],
                      "comment": "Lovely evening." if b.id % 3 else "Great food, would book again.",
                      "created_at": now - dt.timedelta(minutes=b.id)} for b in completed))
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
    """Fresh planner statistics after a bulk load."""
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
