"""Live notifications from a real gunicorn event server: delivery delay, resume, formats, tokens, one poll."""

from __future__ import annotations

import time

import orjson
import pytest
import requests
from sqlalchemy import event

from backend.events.hub import Hub
from backend.extensions import db as app_db
from backend.jobs.links import stream_url as job_stream_url
from backend.jobs.services import enqueue
from backend.notifications import delivery
from backend.notifications.live import SOURCE, newest_ids
from tests.events.test_stream import sse_events
from tests.notifications.conftest import NOTIFICATIONS, book

pytestmark = pytest.mark.slow


class ManualHub(Hub):
    """A hub whose poller thread never starts: the test ticks it by hand, deterministically."""

    def _start(self) -> None:
        pass


def stream_path(client, headers) -> str:
    """The signed stream URL from the API, as a path on the event server."""
    url = client.get(f"{NOTIFICATIONS}/stream-url", headers=headers).get_json()["stream_url"]
    return "/api/v1" + url.split("/api/v1", 1)[1]


def test_a_booking_reaches_the_chefs_open_stream_within_a_second(client, events_server, chef, make_user):
    chef_user, chef_headers = chef
    _, headers = make_user()
    url = events_server.base + stream_path(client, chef_headers)
    with requests.get(url, headers={"Accept": "text/event-stream"}, stream=True, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["Cache-Control"] == "no-store"
        frames = sse_events(response)
        delays, ids = [], []
        for slot in ("lunch", "dinner"):
            started = time.monotonic()
            booking = book(client, headers, chef_user["chef_id"], slot=slot)
            assert booking.status_code == 201
            kind, note = next(f for f in frames if f[0] == "event")
            delays.append(time.monotonic() - started)
            assert note["type"] == "notification" and note["notification"]["type"] == "booking_created"
            assert note["notification"]["data"]["booking_id"] == booking.get_json()["id"]
            assert note["_id"] == str(note["notification"]["id"])
            ids.append(note["notification"]["id"])
    assert max(delays) < 1.0, delays  # the bound (the hub polls every 50 ms here)
    resumed = requests.get(url + "&after=0", headers={"Accept": "application/x-ndjson"}, stream=True, timeout=10)
    with resumed:
        assert resumed.headers["Content-Type"].startswith("application/x-ndjson")
        lines = (orjson.loads(line) for line in resumed.iter_lines() if line)
        got = [next(x for x in lines if x["type"] == "notification")["notification"]["id"] for _ in ids]
    assert got == ids  # resume from 0 replays the backlog in order
    with requests.get(url, headers={"Last-Event-ID": str(ids[0])}, stream=True, timeout=10) as again:
        kind, note = next(f for f in sse_events(again) if f[0] == "event")
        assert note["notification"]["id"] == ids[1]


def test_idle_stream_heartbeats_and_ends_in_time(client, events_server, make_user):
    _, headers = make_user()
    started = time.monotonic()
    url = events_server.base + stream_path(client, headers)
    with requests.get(url, headers={"Accept": "application/x-ndjson"}, stream=True, timeout=15) as response:
        lines = [orjson.loads(line) for line in response.iter_lines() if line]
    assert 5.5 <= time.monotonic() - started < 12  # EVENTS_STREAM_SECONDS=6
    assert sum(1 for x in lines if x == {"type": "heartbeat"}) >= 5
    assert requests.get(events_server.base + "/api/v1/events/health", timeout=5).json()["streams"] == 0


def test_stream_tokens_are_checked(app, client, events_server, make_user):
    user, headers = make_user()
    path = stream_path(client, headers)
    token = path.split("token=")[1]
    with app.app_context():
        job = enqueue(delivery.EMAIL, {"notification_ids": []}, user["id"])
        job_token = job_stream_url(job["id"], user["id"]).split("token=")[1]
        app_db.session.remove()
    base = events_server.base + "/api/v1/events/notifications"
    cases = {"": 401, "?token=": 401, f"?token=x{token}": 401, f"?token={job_token}": 401,
             f"?token={token}&after=abc": 422, f"?token={token}&after=-1": 422}
    for suffix, status in cases.items():
        response = requests.get(base + suffix, timeout=10)
        assert response.status_code == status, suffix
        assert response.headers["Content-Type"].startswith("application/json")
    assert requests.get(base + f"?token={token}", headers={"Last-Event-ID": "x"}, timeout=10).status_code == 422


def test_one_statement_per_tick_whatever_the_number_of_streams(app, db, make_user):
    users = [make_user()[0]["id"] for _ in range(30)]
    with app.app_context():
        delivery.notify(users[:3], "announcement", "hello")
        engine = app_db.engine
        app_db.session.remove()
    hub = ManualHub(engine, 60.0)
    hub.add_source(SOURCE, newest_ids)
    watches = [hub.watch(SOURCE, u, 0) for u in users for _ in range(2)]  # 60 streams, two per user
    seen = []

    def record(_conn, _cursor, statement, *_):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert hub.tick() == 6  # the three users with news, two streams each
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len([s for s in seen if "notifications" in s]) == 1, seen
    assert sorted(w.key for w in watches if w.woken.is_set()) == sorted(users[:3] * 2)
    for watch in watches:
        hub.unwatch(watch)
    assert hub.watching == 0
