"""One live booking per chef/date/slot under real concurrency, on SQLite and PostgreSQL.

Threads each drive their own request (own app context, session and pooled connection), released
together by a barrier, so the database, not Python, decides who wins.
"""

import datetime as dt
import threading
from collections import Counter

from sqlalchemy import func, select

from backend.coocook.models import Booking, Chef

CONTENDERS = 24


def fire_together(app, headers_list, payload_for):
    """POST one booking per header set at the same instant; return the status codes."""
    barrier = threading.Barrier(len(headers_list))
    codes: list[int] = []
    lock = threading.Lock()

    def worker(i, headers):
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/coocook/bookings", json=payload_for(i), headers=headers)
        with lock:
            codes.append(response.status_code)

    threads = [threading.Thread(target=worker, args=(i, h)) for i, h in enumerate(headers_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return codes


def test_simultaneous_bookings_for_one_slot_exactly_one_wins(app, db, make_user):
    chef, _ = make_user("chef")
    users = [make_user()[1] for _ in range(CONTENDERS)]
    date = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    codes = fire_together(app, users, lambda i: {"chef_id": chef["chef_id"], "date": date, "slot": "dinner",
                                                 "guests": 2})
    assert len(codes) == CONTENDERS
    assert Counter(codes) == {201: 1, 409: CONTENDERS - 1}
    live = db.session.execute(select(func.count()).select_from(Booking)
                              .where(Booking.status != "cancelled")).scalar_one()
    count = db.session.execute(select(Chef.booking_count).where(Chef.id == chef["chef_id"])).scalar_one()
    assert live == 1 and count == 1


def test_simultaneous_bookings_for_different_slots_all_win(app, db, make_user):
    """Concurrent writers wait their turn (BEGIN IMMEDIATE on SQLite): no 'database is locked'."""
    chef, _ = make_user("chef")
    users = [make_user()[1] for _ in range(CONTENDERS)]
    base = dt.date.today() + dt.timedelta(days=1)
    codes = fire_together(app, users, lambda i: {"chef_id": chef["chef_id"], "slot": "lunch", "guests": 1,
                                                 "date": (base + dt.timedelta(days=i)).isoformat()})
    assert Counter(codes) == {201: CONTENDERS}
    count = db.session.execute(select(Chef.booking_count).where(Chef.id == chef["chef_id"])).scalar_one()
    assert count == CONTENDERS
