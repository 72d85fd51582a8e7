"""Seed data of CooCook: chefs (the demo chef's profile first), bookings and reviews.

Chef popularity is Zipf-skewed (Zipf-Mandelbrot: the top 1% of chefs take about a third of all
bookings, the median chef a dozen). Each chef's bookings take distinct (date, slot) pairs spread
over the last two years and the next two months (the busiest chefs, who would not fit, go further
back), so live slots never clash; past bookings are completed or cancelled, future ones pending or
confirmed, and reviews are a random sample of completed bookings, rated around a per-chef quality.
Counters (rating, rating_count, booking_count) are then computed in SQL, so they are exact by
construction.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import Counter
from typing import Any

from sqlalchemy import insert, text

from backend.common.actor import Role
from backend.coocook.models import Booking, BookingStatus, Chef, Review, Slot
from backend.extensions import db

CUISINES = ["italian", "french", "korean", "japanese", "mexican", "indian", "thai", "spanish", "greek",
            "vietnamese", "lebanese", "american"]
LOCATIONS = ["Seoul", "Busan", "Tokyo", "Osaka", "Paris", "Lyon", "London", "Berlin", "Madrid", "Rome",
             "New York", "Chicago", "Austin", "Toronto", "Sydney", "Melbourne", "Lisbon", "Vienna"]
PENDING, CONFIRMED, COMPLETED, CANCELLED = (s.value for s in BookingStatus)


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
            status, updated_at = rng.choice((PENDING, CONFIRMED)), booked_at
        else:
            status = CANCELLED if rng.random() < 0.1 else COMPLETED
            updated_at = min(now, dt.datetime.combine(date, dt.time(22)))
            if status == COMPLETED:
                completed.append((bid, chef_id, user_id, date))
        yield {"id": bid, "user_id": user_id, "chef_id": chef_id, "date": date,
               "slot": Slot.LUNCH.value if i % 2 else Slot.DINNER.value, "guests": rng.randint(1, 8), "status": status,
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
    db.session.execute(text(f"""
        UPDATE chefs SET
          booking_count = (SELECT count(*) FROM bookings b WHERE b.chef_id = chefs.id AND b.status <> '{CANCELLED}'),
          rating_count = (SELECT count(*) FROM reviews r WHERE r.chef_id = chefs.id),
          rating = COALESCE((SELECT avg(r.rating) FROM reviews r WHERE r.chef_id = chefs.id), 0)"""))


def seed_coocook(ctx: Any) -> tuple[str, ...]:
    """The demo chef's profile (chef 1), generated chefs, bookings by the seeded users, reviews."""
    now, rng, sizes = ctx.now, ctx.rng, ctx.sizes
    db.session.execute(insert(Chef).values(id=1, user_id=ctx.shared["demo"][Role.CHEF.value], name="Charlie Chef",
                                           bio="Demo chef: Korean home food.", cuisine_type="korean",
                                           location="Seoul", price_per_session=120.0, created_at=now))
    ctx.insert(Chef, _chefs(sizes["chefs"] - 1, 2, rng, now))
    completed: list[tuple[int, int, int, dt.date]] = []
    # Building the indexes once after the load is several times cheaper than maintaining them.
    with ctx.indexes_deferred(Booking.__table__, Review.__table__):
        ctx.insert(Booking, _bookings(sizes["bookings"], list(range(1, sizes["chefs"] + 1)), ctx.shared["user_ids"],
                                      rng, now.date(), now, completed))
        ctx.insert(Review, _reviews(sizes["reviews"], completed, rng, now))
    _refresh_counters()
    return ("chefs",)
