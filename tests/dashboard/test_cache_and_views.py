"""Per-user caching of dashboards (never across users, invalidated by the user's own writes) and chef-view counts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from backend.dashboard.models import ChefView
from backend.dashboard.views import counter
from tests.conftest import statements
from tests.dashboard.conftest import ADMIN, DASHBOARD, today

BOOKINGS = "/api/v1/coocook/bookings"


def state(response) -> str:
    """The cache state the response's Server-Timing names."""
    return response.headers["Server-Timing"].rsplit('cache;desc="', 1)[1].rstrip('"')


def book(client, headers, chef_id, days=2, slot="dinner"):
    day = (today() + dt.timedelta(days=days)).isoformat()
    response = client.post(BOOKINGS, headers=headers, json={"chef_id": chef_id, "date": day, "slot": slot,
                                                             "guests": 2})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_cached_per_user_and_never_across_users(client, people):
    (_, a), (_, b) = people["user"], people["other"]
    chef, _ = people["chef"]
    book(client, a, chef["chef_id"])
    first = client.get(DASHBOARD, headers=a)
    again = client.get(DASHBOARD, headers=a)
    assert (state(first), state(again)) == ("miss", "hit")
    assert again.get_data() == first.get_data() and again.headers["Cache-Control"] == "private, no-cache"
    assert statements(again) < statements(first)  # only the token lookup is left
    other = client.get(DASHBOARD, headers=b)
    assert state(other) == "miss"  # b's own key: a's entry is never served to b
    assert other.get_json()["user"]["bookings_by_status"]["pending"] == 0
    assert first.get_json()["user"]["bookings_by_status"]["pending"] == 1


def test_the_users_own_writes_invalidate_their_dashboard(client, people):
    user, headers = people["user"]
    chef, chef_headers = people["chef"]
    client.get(DASHBOARD, headers=headers)
    client.get(DASHBOARD, headers=chef_headers)
    booking = book(client, headers, chef["chef_id"])  # both parties' dashboards are stale now
    fresh = client.get(DASHBOARD, headers=headers)
    assert state(fresh) == "miss" and fresh.get_json()["user"]["bookings_by_status"]["pending"] == 1
    assert fresh.get_json()["user"]["unread_notifications"] == 1
    chef_view = client.get(DASHBOARD, headers=chef_headers)
    assert state(chef_view) == "miss" and chef_view.get_json()["chef"]["upcoming_by_day"][0]["bookings"] == 1
    assert state(client.get(DASHBOARD, headers=headers)) == "hit"
    assert client.post("/api/v1/notifications/read-all", headers=headers).status_code == 200
    read = client.get(DASHBOARD, headers=headers)
    assert state(read) == "miss" and read.get_json()["user"]["unread_notifications"] == 0
    confirmed = client.post(f"{BOOKINGS}/{booking['id']}/confirm", headers=chef_headers)
    assert confirmed.status_code == 200
    after = client.get(DASHBOARD, headers=headers).get_json()["user"]
    assert after["bookings_by_status"]["confirmed"] == 1 and after["total_spent"] == 120.0
    exported = client.post("/api/v1/exports", headers=headers, json={"kind": "booking_receipt",
                                                                     "params": {"booking_id": booking["id"]}})
    assert exported.status_code == 202
    with_export = client.get(DASHBOARD, headers=headers)
    assert state(with_export) == "miss"
    assert with_export.get_json()["user"]["recent_exports"][0]["status"] == "ready"
    assert with_export.get_json()["user"]["unread_notifications"] == 2  # booking confirmed + export ready


def test_admin_kpis_are_cached_per_admin_and_period(client, people):
    admin = people["admin"][1]
    one = client.get(ADMIN, headers=admin, query_string={"from": "2026-01-01", "to": "2026-01-31"})
    two = client.get(ADMIN, headers=admin, query_string={"from": "2026-01-01", "to": "2026-01-31"})
    other_period = client.get(ADMIN, headers=admin, query_string={"from": "2026-01-01", "to": "2026-01-30"})
    assert (state(one), state(two), state(other_period)) == ("miss", "hit", "miss")
    assert two.headers["Cache-Control"] == "private, no-cache"


def test_chef_detail_views_are_counted_including_l1_hits_and_flushed_in_one_batch(app, client, db, people):
    chef, _ = people["chef"]
    url = f"/api/v1/coocook/chefs/{chef['chef_id']}"
    views = counter(app)
    served = [client.get(url) for _ in range(4)]
    assert all(r.status_code == 200 for r in served)
    assert statements(served[-1]) == 0 and state(served[-1]) == "hit"  # answered by the L1, before Flask
    assert client.get(url, headers={"If-None-Match": served[-1].headers["ETag"]}).status_code == 304
    assert client.get("/api/v1/coocook/chefs/999999").status_code == 404  # not a view
    assert client.head(url).status_code == 200  # not a GET: not counted
    assert views.pending() == 5
    assert db.session.execute(select(ChefView.views)).scalars().all() == []  # nothing written per request
    assert views.flush() == 5 and views.pending() == 0
    client.get(url)
    assert views.flush() == 1
    db.session.commit()  # a new snapshot: the flush committed after our earlier read
    rows = db.session.execute(select(ChefView.chef_id, ChefView.day, ChefView.views)).all()
    assert [(r.chef_id, r.day, r.views) for r in rows] == [(chef["chef_id"], today(), 6)]
    user, headers = people["user"]
    book(client, headers, chef["chef_id"])
    kpis = client.get(ADMIN, headers=people["admin"][1]).get_json()
    assert kpis["chef_views"] == 6 and kpis["bookings"] == 1 and kpis["view_to_booking"] == round(1 / 6, 4)
    assert client.get(DASHBOARD, headers=people["chef"][1]).get_json()["chef"]["month"]["views"] == 6


def test_a_failed_flush_keeps_its_counts(app, db, people):
    views = counter(app)
    views.add(people["chef"][0]["chef_id"], 3)
    with db.engine.begin() as conn:  # the table is unreachable: a real database error at flush time
        conn.exec_driver_sql("ALTER TABLE chef_views RENAME TO chef_views_away")
    try:
        assert views.flush() == 0 and views.pending() == 3
    finally:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE chef_views_away RENAME TO chef_views")
    assert views.flush() == 3 and views.pending() == 0
