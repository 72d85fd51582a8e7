"""Dashboard fixtures: three accounts (user, chef with a profile, admin) and bulk data writers."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from backend.common.models import utcnow
from backend.coocook.models import Booking, Review
from backend.exports.models import Export
from backend.meari.models import MeariSession
from backend.notifications.models import Notification

DASHBOARD = "/api/v1/dashboard"
ADMIN = "/api/v1/dashboard/admin"


def today() -> dt.date:
    """The service's today (UTC)."""
    return dt.datetime.now(dt.UTC).date()


@pytest.fixture
def people(make_user):
    """{"user", "chef", "admin", "other"}: (account, headers); the chef has a profile."""
    return {"user": make_user(), "other": make_user(),
            "chef": make_user("chef", cuisine_type="korean", location="Seoul", price_per_session=120.0),
            "admin": make_user("admin")}


def add_bookings(db, user_id: int, chef_id: int, n: int, start_day: int = 1, status: str = "confirmed",
                 price: float = 100.0) -> list[int]:
    """`n` bookings of `chef_id` by `user_id` on consecutive days from today+start_day (one slot each)."""
    now = utcnow()
    rows = [{"user_id": user_id, "chef_id": chef_id, "date": today() + dt.timedelta(days=start_day + i),
             "slot": "dinner", "guests": 2, "status": status, "price": price, "created_at": now, "updated_at": now}
            for i in range(n)]
    ids = db.session.execute(insert(Booking).returning(Booking.id), rows).scalars().all()
    db.session.commit()
    return list(ids)


def add_history(db, user_id: int, chef_id: int, n: int, back: int = 0) -> None:
    """Completed bookings with reviews, notifications, sessions and exports: `n` of each for `user_id`.

    The bookings take the `n` days ending `back` + 2 days ago (callers keep their ranges apart).
    """
    now = utcnow()
    booking_ids = add_bookings(db, user_id, chef_id, n, start_day=-n - 1 - back, status="completed")
    db.session.execute(insert(Review), [{"booking_id": b, "chef_id": chef_id, "user_id": user_id, "rating": 1 + i % 5,
                                         "comment": "fine", "created_at": now - dt.timedelta(days=i * 9)}
                                        for i, b in enumerate(booking_ids)])
    db.session.execute(insert(Notification), [{"user_id": user_id, "type": "announcement", "title": f"n{i}",
                                               "body": "", "data": {}, "created_at": now} for i in range(n)])
    db.session.execute(insert(MeariSession), [{"user_id": user_id, "status": "ready", "concern": f"c{i}",
                                               "language": "en", "created_at": now, "updated_at": now}
                                              for i in range(n)])
    db.session.execute(insert(Export), [{"user_id": user_id, "kind": "my_bookings", "params": {}, "status": "failed",
                                         "created_at": now} for i in range(n)])
    db.session.commit()
