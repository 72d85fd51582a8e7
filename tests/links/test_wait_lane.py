"""A synchronous analysis that is not done at once waits on the event server, not in an API worker.

The API answers 303 with the job; its Location is the event server's result URL (real gunicorn,
gunicorn_events.py, on the test database), which waits for the job and answers 200 with the
analysis, or 202 with the job once LINKS_SYNC_WAIT has passed. Tokens are checked.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests
import sqlalchemy as sa
from flask_migrate import upgrade

import tests.jobs.conftest  # noqa: F401  (registers the test.scripted job kind)
from backend.extensions import db
from backend.jobs import services as jobs
from backend.jobs.extension import Jobs
from backend.jobs.runner import run_job
from backend.links import lane
from tests.conftest import make_app
from tests.events.test_stream import events_server_at
from tests.links.test_analyze import post
from tests.links.test_jobs_and_access import queued

pytestmark = pytest.mark.slow


# The SQLite half runs on a database file of its own, checked with PRAGMA integrity_check when the
# module is done. In three full-suite runs (one process), the session's shared SQLite file was
# reported "malformed" for every test after this module's SQLite half; the cause was not found.
# Here a repeat would show up as this module's teardown error, and no other test would share it.
@pytest.fixture(scope="module")
def own_sqlite(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('lane') / 'lane.db'}"
    migrating = make_app(url, tmp_path_factory.mktemp("lane-migrate"))
    with migrating.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    finally:
        engine.dispose()


@pytest.fixture
def database_url(backend, database_urls, request) -> str:
    """This module's own SQLite file, or the session's PostgreSQL schema."""
    return request.getfixturevalue("own_sqlite") if backend == "sqlite" else database_urls(backend)


@pytest.fixture
def lane_server(database_url, tmp_path):
    """The event server with a 3 s synchronous wait."""
    with events_server_at(database_url, tmp_path, LINKS_SYNC_WAIT="3", EVENTS_THREADS="8") as server:
        yield server


def on(server, url: str) -> str:
    """The result URL on the test's event server (the app's EVENTS_PUBLIC_URL is the default port)."""
    return server.base + "/api/v1" + url.split("/api/v1", 1)[1]


def test_a_miss_is_303_to_the_event_server_which_answers_the_analysis(links_app, platform, make_user, tmp_path,
                                                                       lane_server):
    app = queued(links_app, tmp_path)
    client = app.test_client()
    _, auth = make_user()
    first = post(client, platform.url(21), auth)
    assert first.status_code == 303 and first.headers["Cache-Control"] == "no-store"
    job = first.get_json()
    assert first.headers["Location"] == job["result_url"] and "token=" in job["result_url"]
    assert job["status"] == "queued" and job["status_url"] == f"/api/v1/links/analyze/status/{job['job_id']}"
    answers = {}

    def follow():
        started = time.monotonic()
        answers["response"] = requests.get(on(lane_server, job["result_url"]), timeout=15)
        answers["seconds"] = time.monotonic() - started

    waiter = threading.Thread(target=follow)
    waiter.start()
    time.sleep(0.5)  # the event server is waiting now
    with app.app_context():
        run_job(Jobs.state(), job["job_id"])
        db.session.remove()
    waiter.join(timeout=20)
    response = answers["response"]
    assert response.status_code == 200, response.text
    assert response.json()["metadata"]["title"] == "Bibimbap night #21" and response.json()["cached"] is False
    assert answers["seconds"] < 3  # it answered when the job finished, not at the end of its wait
    again = post(client, platform.url(21), auth)
    assert again.status_code == 200 and again.get_json()["cached"] is True  # a hit never leaves the API


def test_the_wait_ends_in_202_with_the_job_after_links_sync_wait(links_app, platform, make_user, tmp_path,
                                                                  lane_server):
    app = queued(links_app, tmp_path)
    _, auth = make_user()
    job = post(app.test_client(), platform.url(22), auth).get_json()
    started = time.monotonic()
    response = requests.get(on(lane_server, job["result_url"]), timeout=15)
    elapsed = time.monotonic() - started
    assert response.status_code == 202 and response.json()["job_id"] == job["job_id"]
    assert response.headers["Location"] == job["status_url"]
    assert 2 < elapsed < 8  # LINKS_SYNC_WAIT (3 s) counted from the API's answer


def test_result_tokens_are_checked(links_app, platform, make_user, tmp_path, lane_server):
    app = queued(links_app, tmp_path)
    user, auth = make_user()
    job = post(app.test_client(), platform.url(23), auth).get_json()
    url = on(lane_server, job["result_url"])
    base, token = url.split("?token=")
    assert requests.get(base, timeout=10).status_code == 401
    assert requests.get(f"{base}?token={token[:-2]}xx", timeout=10).status_code == 401
    with app.app_context():
        other = jobs.enqueue("test.scripted", {}, user["id"])  # registered by tests.jobs.conftest
        foreign = lane.result_url(other["id"], user["id"])
        db.session.remove()
    borrowed = on(lane_server, foreign).split("?token=")[1]
    refused = requests.get(f"{base}?token={borrowed}", timeout=10)  # another job's token
    assert refused.status_code == 401 and refused.json()["error"]["code"]
    not_links = requests.get(on(lane_server, foreign), timeout=10)  # genuine, but not a link analysis
    assert not_links.status_code == 404
    bad_id = f"{lane_server.base}/api/v1/events/links/result/not-a-uuid?token=x"
    assert requests.get(bad_id, timeout=10).status_code == 404
