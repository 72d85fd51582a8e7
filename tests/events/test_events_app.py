"""The event server in process: the hub's one-query poll, CORS like the API, and the API's redirect to streams."""

from __future__ import annotations

import time

import pytest

from backend.events import create_events_app
from backend.events.app import KEY
from backend.events.hub import Hub
from backend.extensions import db
from backend.jobs import services, store
from backend.jobs.links import stream_url


@pytest.fixture
def events_app(database_url, tmp_path):
    from tests.conftest import PG_SCHEMA

    config = {"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url, "CORS_ORIGINS": "https://app.example"}
    if not database_url.startswith("sqlite"):
        config["DB_SCHEMA"] = PG_SCHEMA
    return create_events_app(config)


def test_hub_wakes_only_the_watches_whose_job_moved(queued_app, events_app, make_user):
    owner, _ = make_user()
    with queued_app.app_context():
        moving = services.enqueue("test.scripted", {}, owner["id"])["id"]
        still = services.enqueue("test.scripted", {}, owner["id"])["id"]
        job = store.claim(moving, 60)
        db.session.remove()
    # A hub of its own whose thread polls once, then sleeps: the ticks below are the only ones.
    hub = Hub(events_app.extensions[KEY].engine, interval=3600)
    a, b = hub.subscribe(moving, 0, "running"), hub.subscribe(still, 0, "queued")
    try:
        time.sleep(0.2)  # let the thread's first poll pass
        assert hub.tick() == 0 and hub.watching == 2
        with queued_app.app_context():
            store.append_event(moving, "progress", {}, fence=job.attempts)
        assert hub.tick() == 1
        assert a.woken.is_set() and a.last_seq == 1 and not b.woken.is_set()
    finally:
        hub.unsubscribe(a)
        hub.unsubscribe(b)
    assert hub.watching == 0


def test_stream_answers_cors_for_allowed_origins_only(queued_app, events_app, make_user):
    owner, _ = make_user()
    with queued_app.app_context():
        job_id = services.enqueue("test.scripted", {}, owner["id"])["id"]
        store.transition(job_id, (store.QUEUED,), "cancelled", None, status="cancelled")
        path = stream_url(job_id, owner["id"]).split("://", 1)[1].split("/", 1)[1]
    client = events_app.test_client()
    allowed = client.get("/" + path, headers={"Origin": "https://app.example", "Accept": "application/x-ndjson"})
    assert allowed.status_code == 200 and allowed.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    other = client.get("/" + path, headers={"Origin": "https://evil.example", "Accept": "application/x-ndjson"})
    assert "Access-Control-Allow-Origin" not in other.headers
    sse = client.get("/" + path, headers={"Accept": "text/event-stream"})
    assert sse.status_code == 200 and b"event: cancelled" in sse.get_data()  # a late client still gets the end
    resumed = client.get("/" + path, headers={"Accept": "text/event-stream", "Last-Event-ID": "1"})
    assert resumed.status_code == 204  # finished and nothing new: EventSource stops reconnecting


def test_the_api_redirects_stream_clients_and_answers_json_pollers(queued_app, make_user):
    owner, auth = make_user()
    with queued_app.app_context():
        job_id = services.enqueue("test.scripted", {}, owner["id"])["id"]
    client = queued_app.test_client()
    streamed = client.get(f"/api/v1/jobs/{job_id}/events", headers={**auth, "Accept": "text/event-stream"})
    assert streamed.status_code == 307 and f"/api/v1/events/jobs/{job_id}?token=" in streamed.headers["Location"]
    polled = client.get(f"/api/v1/jobs/{job_id}/events", headers=auth)
    assert polled.status_code == 200 and polled.get_json()["status"] == "queued"
