"""Dashboards through the API: each role's figures, only the actor's data, constant statement counts, 403s."""

from __future__ import annotations

import datetime as dt

from backend.caching import response_cache
from tests.conftest import statements
from tests.dashboard.conftest import ADMIN, DASHBOARD, add_bookings, add_history, today

BOOKINGS = "/api/v1/coocook/bookings"


def uncached(app):
    """Turn the response cache off: every request builds its dashboard."""
    response_cache(app).enabled = False


def test_user_dashboard_shows_the_actors_own_figures(client, db, people):
    user, headers = people["user"]
    chef, _ = people["chef"]
    day = (today() + dt.timedelta(days=3)).isoformat()
    booked = client.post(BOOKINGS, headers=headers, json={"chef_id": chef["chef_id"], "date": day, "slot": "lunch",
                                                           "guests": 2})
    assert booked.status_code == 201
    add_bookings(db, user["id"], chef["chef_id"], 2, start_day=10, status="confirmed", price=80.0)
    add_bookings(db, user["id"], chef["chef_id"], 1, start_day=-5, status="cancelled", price=999.0)
    response = client.get(DASHBOARD, headers=headers)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-cache"
    body = response.get_json()
    assert body["role"] == "user" and body["chef"] is None
    mine = body["user"]
    assert [b["date"] for b in mine["upcoming_bookings"]][0] == day
    assert mine["upcoming_bookings"][0]["chef_name"] == chef["name"]
    assert mine["bookings_by_status"] == {"pending": 1, "confirmed": 2, "completed": 0, "cancelled": 1}
    assert mine["total_spent"] == 160.0  # confirmed and completed only: not the pending one, not the cancelled one
    assert mine["unread_notifications"] == 1  # "Booking request sent"
    other = client.get(DASHBOARD, headers=people["other"][1]).get_json()["user"]
    assert other["upcoming_bookings"] == [] and other["total_spent"] == 0 and other["unread_notifications"] == 0
    assert client.get(DASHBOARD).status_code == 401


def test_chef_dashboard_adds_the_profile_part(client, db, people):
    user, _ = people["user"]
    chef, chef_headers = people["chef"]
    add_bookings(db, user["id"], chef["chef_id"], 3, start_day=0, status="pending")
    add_history(db, user["id"], chef["chef_id"], 4)
    body = client.get(DASHBOARD, headers=chef_headers).get_json()
    assert body["role"] == "chef"
    part = body["chef"]
    assert part["chef_id"] == chef["chef_id"] and part["name"] == chef["name"]
    assert [d["bookings"] for d in part["upcoming_by_day"]] == [1, 1, 1]
    assert part["upcoming_by_day"][0]["date"] == today().isoformat()
    assert sum(t["reviews"] for t in part["rating_trend"]) >= 1
    assert all(1 <= t["average"] <= 5 for t in part["rating_trend"])
    assert len(part["latest_reviews"]) == 4 and part["latest_reviews"][0]["user_name"] == user["name"]
    assert part["month"]["views"] == 0 and part["month"]["bookings"] >= 1


def test_statement_counts_do_not_grow_with_data(app, client, db, people):
    uncached(app)
    (user, user_headers), (other, other_headers) = people["user"], people["other"]
    chef, chef_headers = people["chef"]
    add_history(db, user["id"], chef["chef_id"], 1)
    first = {"user": statements(client.get(DASHBOARD, headers=user_headers)),
             "chef": statements(client.get(DASHBOARD, headers=chef_headers)),
             "admin": statements(client.get(ADMIN, headers=people["admin"][1],
                                            query_string={"from": today().isoformat()}))}
    add_history(db, other["id"], chef["chef_id"], 60, back=5)  # 60 of everything for another user, reviews of the chef
    add_bookings(db, other["id"], chef["chef_id"], 40, start_day=1)
    big = client.get(DASHBOARD, headers=other_headers)
    assert len(big.get_json()["user"]["recent_exports"]) == 5 and len(big.get_json()["user"]["upcoming_bookings"]) == 5
    assert statements(big) == first["user"]
    chef_body = client.get(DASHBOARD, headers=chef_headers)
    assert len(chef_body.get_json()["chef"]["upcoming_by_day"]) == 13  # 14 days ahead, today has none here
    assert statements(chef_body) == first["chef"]
    year = client.get(ADMIN, headers=people["admin"][1],
                      query_string={"from": (today() - dt.timedelta(days=365)).isoformat(), "to": today().isoformat()})
    assert year.status_code == 200 and len(year.get_json()["daily"]) == 366
    assert statements(year) == first["admin"]


def test_admin_kpis_for_a_period(client, db, people):
    user, headers = people["user"]
    chef, _ = people["chef"]
    add_bookings(db, user["id"], chef["chef_id"], 3, status="confirmed", price=50.0)
    add_bookings(db, user["id"], chef["chef_id"], 1, start_day=20, status="cancelled", price=70.0)
    body = client.get(ADMIN, headers=people["admin"][1]).get_json()
    assert body["to"] == today().isoformat() and len(body["daily"]) == 30  # default: the last 30 days
    assert (body["bookings"], body["cancellations"], body["revenue"]) == (4, 1, 150.0)
    assert body["cancellation_rate"] == 0.25 and body["new_users"] == 4  # the four accounts of `people`
    assert body["chef_views"] == 0 and body["view_to_booking"] is None
    past = client.get(ADMIN, headers=people["admin"][1], query_string={"from": "2020-01-01", "to": "2020-01-31"})
    assert past.get_json()["bookings"] == 0 and len(past.get_json()["daily"]) == 31


def test_admin_dashboard_is_for_admins_and_checks_its_period(client, people):
    for role in ("user", "chef"):
        response = client.get(ADMIN, headers=people[role][1])
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    admin = people["admin"][1]
    for query in ({"from": "2026-02-01", "to": "2026-01-01"}, {"from": "2020-01-01", "to": "2022-01-01"},
                  {"from": "yesterday"}, {"to": "1999-12-31"}, {"from": "2026-02-30"}):
        response = client.get(ADMIN, headers=admin, query_string=query)
        assert response.status_code == 422, query
        assert response.get_json()["error"]["details"]["location"] == "query"
