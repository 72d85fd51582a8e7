"""The event server under real gunicorn: SSE and NDJSON streams, resume, heartbeats, tokens, delivery delay."""

from __future__ import annotations

import time

import orjson
import pytest
import requests

from backend.extensions import db
from backend.jobs import services, store
from backend.jobs.links import stream_url
from scripts.server import Gunicorn, server_env
from tests.conftest import PG_SCHEMA

pytestmark = pytest.mark.slow


def events_server_at(database_url, tmp_path, **settings: str) -> Gunicorn:
    """A real gunicorn event server (gunicorn_events.py) on the test database with `settings` on top."""
    env = server_env({"APP_ENV": "development", "DATABASE_URL": database_url,
                      "CACHE_GENERATIONS_PATH": str(tmp_path / "gens"), **settings}, drop=("REDIS_URL",))
    if not database_url.startswith("sqlite"):
        env["DB_SCHEMA"] = PG_SCHEMA
    return Gunicorn(env, app="backend.events.wsgi:app", config="gunicorn_events.py",
                    health_path="/api/v1/events/health")


@pytest.fixture
def events_server(database_url, tmp_path):
    """Short streams, fast heartbeats and polls: the behaviour tests."""
    with events_server_at(database_url, tmp_path, EVENTS_STREAM_SECONDS="6", EVENTS_HEARTBEAT_SECONDS="0.5",
                          EVENTS_POLL_SECONDS="0.05", EVENTS_THREADS="16") as server:
        yield server


def new_job(app, owner_id):
    with app.app_context():
        job = services.enqueue("test.scripted", {}, owner_id)
        url = stream_url(job["id"], owner_id)
        db.session.remove()
    return job["id"], url.split("/api/v1", 1)[1]


def sse_events(response):
    """Parse SSE frames as they arrive: yields ('event', dict) or ('comment', text)."""
    frame: dict[str, str] = {}
    for line in response.iter_lines(decode_unicode=True):
        if line == "":
            if "data" in frame:
                yield "event", {**orjson.loads(frame["data"]), "_id": frame.get("id")}
            frame = {}
        elif line.startswith(":"):
            yield "comment", line
        else:
            name, _, value = line.partition(": ")
            frame[name] = value


def test_sse_delivers_live_events_then_ends_and_204s_on_reconnect(queued_app, events_server, make_user):
    owner, _ = make_user()
    job_id, path = new_job(queued_app, owner["id"])
    url = events_server.base + "/api/v1" + path
    with queued_app.app_context():
        job = store.claim(job_id, 60)
        store.append_event(job_id, "starting", {"attempt": 1}, fence=job.attempts)
    with requests.get(url, headers={"Accept": "text/event-stream"}, stream=True, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["Cache-Control"] == "no-store"
        frames = sse_events(response)
        kind, first = next(f for f in frames if f[0] == "event")
        assert (first["seq"], first["type"], first["_id"]) == (1, "starting", "1")
        delays = []
        for n in range(3):
            with queued_app.app_context():
                written = time.monotonic()
                store.append_event(job_id, "progress", {"n": n}, fence=job.attempts)
                db.session.remove()
            kind, event = next(f for f in frames if f[0] == "event")
            delays.append(time.monotonic() - written)
            assert event["type"] == "progress" and event["data"] == {"n": n}
        assert max(delays) < 1.0, delays  # polled every 50 ms here; 1 s is the bound
        with queued_app.app_context():
            store.append_event(job_id, "completed", {"ok": True}, fence=job.attempts, status="succeeded")
        rest = [f for f in frames]  # the server closes after the final event
        assert [e["type"] for k, e in rest if k == "event"] == ["completed"]
    again = requests.get(url, headers={"Accept": "text/event-stream", "Last-Event-ID": "5"}, timeout=10)
    assert again.status_code == 204


def test_resume_after_last_event_id_and_ndjson_by_accept(queued_app, events_server, make_user):
    owner, _ = make_user()
    job_id, path = new_job(queued_app, owner["id"])
    with queued_app.app_context():
        job = store.claim(job_id, 60)
        for n in range(4):
            store.append_event(job_id, "progress", {"n": n}, fence=job.attempts)
        store.append_event(job_id, "completed", {}, fence=job.attempts, status="succeeded")
    url = events_server.base + "/api/v1" + path
    resumed = requests.get(url, headers={"Accept": "text/event-stream", "Last-Event-ID": "2"}, timeout=10)
    assert [e["seq"] for k, e in sse_events(resumed) if k == "event"] == [3, 4, 5]
    lines = requests.get(url + "&after=3", headers={"Accept": "application/x-ndjson"}, timeout=10)
    assert lines.headers["Content-Type"].startswith("application/x-ndjson")
    assert [orjson.loads(x)["seq"] for x in lines.text.splitlines()] == [4, 5]


def test_idle_stream_heartbeats_and_closes_after_its_time(queued_app, events_server, make_user):
    owner, _ = make_user()
    _, path = new_job(queued_app, owner["id"])
    started = time.monotonic()
    with requests.get(events_server.base + "/api/v1" + path, stream=True, timeout=15) as response:
        frames = list(sse_events(response))
    elapsed = time.monotonic() - started
    assert 5.5 <= elapsed < 12, elapsed  # EVENTS_STREAM_SECONDS=6, then the client reconnects
    assert sum(1 for k, text in frames if k == "comment" and "heartbeat" in text) >= 5


def test_stream_tokens_are_checked(queued_app, events_server, make_user):
    owner, _ = make_user()
    job_id, path = new_job(queued_app, owner["id"])
    other_id, other_path = new_job(queued_app, owner["id"])
    base = events_server.base + "/api/v1"
    token = path.split("token=")[1]
    cases = {
        f"/events/jobs/{job_id}": 401,  # no token
        f"/events/jobs/{job_id}?token=x{token}": 401,  # tampered
        f"/events/jobs/{other_id}?token={token}": 401,  # another job's token
        f"/events/jobs/{job_id}?token={token}&after=abc": 422,
        "/events/jobs/not-a-uuid?token=x": 404,
    }
    for suffix, status in cases.items():
        response = requests.get(base + suffix, timeout=10)
        assert response.status_code == status, suffix
        assert response.headers["Content-Type"].startswith("application/json")
    bad_header = requests.get(base + path, headers={"Last-Event-ID": "-1"}, timeout=10)
    assert bad_header.status_code == 422


@pytest.fixture
def small_events_server(database_url, tmp_path):
    """Four threads and a heartbeat far away: only noticing gone clients can free a thread."""
    with events_server_at(database_url, tmp_path, EVENTS_STREAM_SECONDS="60", EVENTS_HEARTBEAT_SECONDS="30",
                          EVENTS_THREADS="4") as server:
        yield server


def test_a_client_that_leaves_frees_its_thread_within_seconds(queued_app, small_events_server, make_user):
    owner, _ = make_user()
    urls = [small_events_server.base + "/api/v1" + new_job(queued_app, owner["id"])[1] for _ in range(5)]
    for url in urls[:4]:  # take every thread, then hang up
        response = requests.get(url, stream=True, timeout=10)
        assert response.status_code == 200
        response.close()
    started = time.monotonic()
    with requests.get(urls[4], stream=True, timeout=20) as response:
        assert response.status_code == 200
        assert next(response.iter_lines()) == b"retry: 2000"
    assert time.monotonic() - started < 5, "the threads of gone clients were held until a heartbeat"


@pytest.fixture
def capped_events_server(database_url, tmp_path):
    """Two open streams per account."""
    with events_server_at(database_url, tmp_path, EVENTS_STREAM_SECONDS="60",
                          EVENTS_MAX_STREAMS_PER_USER="2") as server:
        yield server


def test_one_account_cannot_take_every_stream_thread(queued_app, capped_events_server, make_user):
    owner, _ = make_user()
    other, _ = make_user()
    base = capped_events_server.base + "/api/v1"
    urls = [base + new_job(queued_app, owner["id"])[1] for _ in range(3)]
    held = [requests.get(url, stream=True, timeout=10) for url in urls[:2]]
    refused = requests.get(urls[2], timeout=10)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_streams"
    assert "Retry-After" in refused.headers
    with requests.get(base + new_job(queued_app, other["id"])[1], stream=True, timeout=10) as theirs:
        assert theirs.status_code == 200  # the cap is per account
    held[0].close()
    deadline = time.monotonic() + 5
    while (again := requests.get(urls[2], stream=True, timeout=10)).status_code == 429:
        again.close()
        assert time.monotonic() < deadline, "a closed stream never gave its place back"
        time.sleep(0.2)
    again.close()
    held[1].close()
