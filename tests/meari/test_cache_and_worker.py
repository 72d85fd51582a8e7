"""The session cache across processes, and sessions whose job runs later (a worker) or is cancelled."""

from __future__ import annotations

from sqlalchemy import update

from backend.extensions import db as app_db
from backend.jobs.extension import Jobs
from backend.jobs.runner import run_job
from backend.meari import services
from backend.meari.cache import session_cache
from backend.meari.models import MeariSession
from backend.meari.schemas import Card, Persona
from tests.conftest import make_app, statements
from tests.meari.conftest import events_of, start


def test_an_update_in_another_process_is_seen_at_once(app, client, db, make_user, database_url, tmp_path):
    _, auth = make_user()
    sid = start(client, auth).get_json()["session_id"]
    url = f"/api/v1/meari/sessions/{sid}"
    first = client.get(url, headers=auth).get_json()
    # A write that does not invalidate is not seen: proof that reads are served from the cache.
    db.session.execute(update(MeariSession).where(MeariSession.id == sid).values(concern="changed quietly"))
    db.session.commit()
    cached = client.get(url, headers=auth)
    assert cached.get_json() == first and statements(cached) < 3
    # Another app instance on the same database and generations file = another process (the worker).
    worker = make_app(database_url, tmp_path)
    with worker.app_context():
        services.save_result(sid, Persona(name="Nari", tone="bright", summary="Updated elsewhere."),
                             [Card(kind="action", title="New", body="A card written by the worker.")] * 3,
                             "builtin", None, {"total": 1.0})
        app_db.session.remove()
        app_db.engine.dispose()
    fresh = client.get(url, headers=auth).get_json()
    assert fresh["persona"]["name"] == "Nari" and fresh["concern"] == "changed quietly"
    assert [c["title"] for c in fresh["cards"]] == ["New"] * 3


def test_the_cache_is_bounded_and_expires(database_url, tmp_path, make_user, app):
    small = make_app(database_url, tmp_path, MEARI_CACHE_SIZE=2, MEARI_CACHE_TTL=0.2)
    client = small.test_client()
    _, auth = make_user()
    ids = [start(client, auth, f"c{n}").get_json()["session_id"] for n in range(3)]
    for sid in ids:
        client.get(f"/api/v1/meari/sessions/{sid}", headers=auth)
    with small.app_context():
        entries = session_cache()._entries
        assert len(entries) == 2 and entries.maxsize == 2 and entries.ttl == 0.2
        app_db.engine.dispose()


def test_a_session_waits_for_its_worker_and_the_endpoints_agree(queued_app, make_user):
    client = queued_app.test_client()
    _, auth = make_user()
    accepted = start(client, auth)
    assert accepted.status_code == 202
    body = accepted.get_json()
    status_url, url = body["status_url"], accepted.headers["Location"]
    assert client.get(status_url, headers=auth).get_json() == {
        "status": "processing", "progress": 0, "job_status": "queued", "error": None}
    pending = client.get(url, headers=auth).get_json()
    assert pending["status"] == "processing" and pending["persona"] is None and pending["cards"] == []
    with queued_app.app_context():
        run_job(Jobs.state(), body["job_id"])  # what the worker does when it takes the task
        app_db.session.remove()
    assert client.get(status_url, headers=auth).get_json() == {
        "status": "ready", "progress": 100, "job_status": "succeeded", "error": None}
    ready = client.get(url, headers=auth).get_json()  # the processing read was not cached
    assert ready["status"] == "ready" and ready["generator"] == "builtin" and len(ready["cards"]) == 4


def test_a_cancelled_job_leaves_a_failed_session(queued_app, make_user):
    client = queued_app.test_client()
    _, auth = make_user()
    body = start(client, auth).get_json()
    assert client.post(f"/api/v1/jobs/{body['job_id']}/cancel", headers=auth).status_code == 200
    with queued_app.app_context():
        run_job(Jobs.state(), body["job_id"])  # the task arrives after the cancel and does nothing
        app_db.session.remove()
    state = client.get(body["status_url"], headers=auth).get_json()
    assert state["status"] == "failed" and state["job_status"] == "cancelled"
    assert state["error"]["code"] == "cancelled"
    listed = client.get("/api/v1/meari/sessions", headers=auth).get_json()["items"]
    assert [s["status"] for s in listed] == ["failed"]
    assert [t for t, _ in events_of(queued_app, body["job_id"])] == ["cancelled"]
