"""The notifications API: unread-first cursor pages, counts, read / read-all, ownership, hostile input."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from backend.notifications.models import Notification
from tests.conftest import statements
from tests.notifications.conftest import NOTIFICATIONS, mine


def seed(db, user_id: int, count: int, read_every: int = 0) -> list[int]:
    """`count` notifications for `user_id` (every `read_every`-th one already read); their ids in order."""
    now = dt.datetime(2026, 1, 1)
    rows = [{"user_id": user_id, "type": "announcement", "title": f"n{i}", "body": "", "data": {"i": i},
             "created_at": now + dt.timedelta(seconds=i),
             "read_at": now if read_every and i % read_every == 0 else None} for i in range(count)]
    ids = db.session.execute(insert(Notification).returning(Notification.id, sort_by_parameter_order=True),
                             rows).scalars().all()
    db.session.commit()
    return list(ids)


def walk(client, headers, per_page, **query):
    """Follow next_cursor to the end; (ids in order, pages)."""
    ids, cursor, pages = [], None, 0
    while True:
        response = client.get(NOTIFICATIONS, query_string={"per_page": per_page, **query,
                                                           **({"cursor": cursor} if cursor else {})}, headers=headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        ids += [n["id"] for n in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, pages, body["total"]


def test_pages_are_unread_first_then_newest_and_complete(client, db, make_user):
    user, headers = make_user()
    ids = seed(db, user["id"], 23, read_every=3)
    read = [i for n, i in enumerate(ids) if n % 3 == 0]
    unread = [i for i in ids if i not in read]
    expected = sorted(unread, reverse=True) + sorted(read, reverse=True)
    for per_page in (1, 4, 7, 100):
        got, pages, total = walk(client, headers, per_page)
        assert got == expected and total == 23 and pages == -(-23 // per_page)
    assert walk(client, headers, 5, unread="true")[0] == sorted(unread, reverse=True)
    assert walk(client, headers, 5, unread="false")[0] == sorted(read, reverse=True)
    first = client.get(NOTIFICATIONS, headers=headers).get_json()["items"][0]
    assert first["read"] is False and first["data"] == {"i": 22} and first["created_at"].endswith("Z")


def test_statement_count_does_not_grow_with_the_page(client, db, make_user):
    user, headers = make_user()
    seed(db, user["id"], 60, read_every=2)
    one = client.get(NOTIFICATIONS, query_string={"per_page": 1}, headers=headers)
    many = client.get(NOTIFICATIONS, query_string={"per_page": 50}, headers=headers)
    later = client.get(NOTIFICATIONS, query_string={"per_page": 50, "cursor": one.get_json()["next_cursor"]},
                       headers=headers)
    assert len(many.get_json()["items"]) == 50
    assert statements(one) == statements(many) == statements(later)
    count = client.get(f"{NOTIFICATIONS}/unread-count", headers=headers)
    assert count.get_json() == {"unread": 30} and statements(count) == statements(one) - 1
    assert "private" in many.headers["Cache-Control"]


def test_read_one_and_read_all_move_the_unread_count(client, db, make_user):
    user, headers = make_user()
    ids = seed(db, user["id"], 5)
    marked = client.post(f"{NOTIFICATIONS}/{ids[0]}/read", headers=headers)
    assert marked.status_code == 200 and marked.get_json()["read"] is True and marked.get_json()["read_at"]
    again = client.post(f"{NOTIFICATIONS}/{ids[0]}/read", headers=headers)
    assert again.get_json()["read_at"] == marked.get_json()["read_at"]  # idempotent: the first time stands
    assert client.get(f"{NOTIFICATIONS}/unread-count", headers=headers).get_json() == {"unread": 4}
    assert [n["id"] for n in mine(client, headers)][-1] == ids[0]  # read ones come last
    assert client.post(f"{NOTIFICATIONS}/read-all", headers=headers).get_json() == {"updated": 4}
    assert client.post(f"{NOTIFICATIONS}/read-all", headers=headers).get_json() == {"updated": 0}
    assert client.get(f"{NOTIFICATIONS}/unread-count", headers=headers).get_json() == {"unread": 0}


def test_only_the_owner_sees_or_reads_a_notification(client, db, make_user):
    owner, owner_headers = make_user()
    _, other = make_user()
    _, admin = make_user("admin")
    (note,) = seed(db, owner["id"], 1)
    for headers in (other, admin):
        response = client.post(f"{NOTIFICATIONS}/{note}/read", headers=headers)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "notification_not_found"
        assert mine(client, headers) == []
        assert client.post(f"{NOTIFICATIONS}/read-all", headers=headers).get_json() == {"updated": 0}
    assert client.get(f"{NOTIFICATIONS}/unread-count", headers=owner_headers).get_json() == {"unread": 1}
    assert client.post(f"{NOTIFICATIONS}/999999/read", headers=owner_headers).status_code == 404
    assert client.get(NOTIFICATIONS).status_code == 401
    assert client.get(f"{NOTIFICATIONS}/unread-count").status_code == 401


@pytest.mark.parametrize("query", [
    {"cursor": "garbage"}, {"cursor": "WyJub3RpZmljYXRpb25zIiwgMiwgMV0"}, {"cursor": "WyJjcmVhdGVkIiwgMCwgMV0"},
    {"per_page": 0}, {"per_page": "x"}, {"unread": "perhaps"}, {"cursor": "x" * 600},
])
def test_hostile_queries_are_422(client, make_user, query):
    _, headers = make_user()
    response = client.get(NOTIFICATIONS, query_string=query, headers=headers)
    assert response.status_code == 422, (query, response.get_json())
    assert response.get_json()["error"]["details"]


def test_hostile_ids_are_404(client, make_user):
    _, headers = make_user()
    for raw in ("0", "-1", "abc", "99999999999", "1.5"):
        assert client.post(f"{NOTIFICATIONS}/{raw}/read", headers=headers).status_code == 404, raw


def test_stream_url_is_signed_for_the_user(client, make_user):
    user, headers = make_user()
    response = client.get(f"{NOTIFICATIONS}/stream-url", headers=headers)
    body = response.get_json()
    assert response.status_code == 200 and "/api/v1/events/notifications?token=" in body["stream_url"]
    assert body["expires_in"] > 0 and "no-store" in response.headers["Cache-Control"]
