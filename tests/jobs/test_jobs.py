"""Jobs through the API and the runner: results, retries, failures, cancellation, ownership, events."""

from __future__ import annotations

import uuid

import pytest

from backend.extensions import db
from backend.jobs import services, store
from backend.jobs.errors import JobAborted
from backend.jobs.extension import Jobs
from backend.jobs.models import Job, JobEvent
from backend.jobs.runner import run_job


def enqueue(app, owner_id, payload=None, kind="test.scripted", **kw):
    with app.app_context():
        job = services.enqueue(kind, payload or {"n": 1}, owner_id, **kw)
        db.session.remove()
        return job


def events_of(app, job_id):
    with app.app_context():
        rows = db.session.query(JobEvent).filter_by(job_id=job_id).order_by(JobEvent.seq).all()
        return [(e.seq, e.type) for e in rows]


def test_job_runs_and_its_owner_reads_result_and_events(app, client, make_user, script):
    user, auth = make_user()
    job = enqueue(app, user["id"], {"n": 7})
    body = client.get(f"/api/v1/jobs/{job['id']}", headers=auth).get_json()
    assert body["status"] == "succeeded" and body["progress"] == 100
    assert body["result"] == {"echo": {"n": 7}, "attempt": 1}
    assert body["attempts"] == 1 and body["error"] is None and body["finished_at"]
    assert "token=" in body["stream_url"] and body["events_url"].endswith("/events")
    assert [t for _, t in events_of(app, job["id"])] == ["starting", "progress", "completed"]
    page = client.get(f"/api/v1/jobs/{job['id']}/events?after=1", headers=auth).get_json()
    assert [e["seq"] for e in page["items"]] == [2, 3] and page["done"] is True
    assert page["items"][0]["data"] == {"progress": 50, "message": "half way"}
    assert page["items"][1]["data"]["echo"] == {"n": 7}


def test_transient_failures_are_retried_then_succeed(app, client, make_user, script):
    user, auth = make_user()
    script.extend(["transient", "transient", "ok"])
    job = enqueue(app, user["id"])
    body = client.get(f"/api/v1/jobs/{job['id']}", headers=auth).get_json()
    assert body["status"] == "succeeded" and body["attempts"] == 3
    assert [t for _, t in events_of(app, job["id"])].count("retrying") == 2


def test_a_job_that_keeps_failing_ends_failed_and_an_admin_reruns_it(app, client, make_user, script):
    user, auth = make_user()
    _, admin = make_user("admin")
    script.extend(["transient"] * 3)
    job = enqueue(app, user["id"])
    body = client.get(f"/api/v1/jobs/{job['id']}", headers=auth).get_json()
    assert body["status"] == "failed" and body["attempts"] == 3
    assert body["error"] == {"code": "upstream_timeout", "message": "the provider timed out"}
    dead = client.get("/api/v1/admin/jobs?status=failed", headers=admin).get_json()
    assert [j["id"] for j in dead["items"]] == [job["id"]] and dead["total"] == 1
    assert client.get("/api/v1/admin/jobs?status=failed", headers=auth).status_code == 403
    rerun = client.post(f"/api/v1/admin/jobs/{job['id']}/retry", headers=admin)
    assert rerun.status_code == 200 and rerun.get_json()["status"] == "succeeded"
    assert rerun.get_json()["attempts"] == 1
    again = client.post(f"/api/v1/admin/jobs/{job['id']}/retry", headers=admin)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "job_not_retryable"


def test_permanent_failure_is_not_retried_and_bugs_hide_their_text(app, client, make_user, script):
    user, auth = make_user()
    script.extend(["fail"])
    failed = client.get(f"/api/v1/jobs/{enqueue(app, user['id'])['id']}", headers=auth).get_json()
    assert failed["status"] == "failed" and failed["attempts"] == 1 and failed["error"]["code"] == "bad_input"
    script.extend(["bug"])
    bug = client.get(f"/api/v1/jobs/{enqueue(app, user['id'])['id']}", headers=auth).get_json()
    assert bug["status"] == "failed" and bug["error"]["code"] == "internal_error"
    assert "secret" not in str(bug)


def test_only_the_owner_or_an_admin_sees_a_job(app, client, make_user, script):
    owner, auth = make_user()
    _, other = make_user()
    _, admin = make_user("admin")
    job_id = enqueue(app, owner["id"])["id"]
    for path in (f"/api/v1/jobs/{job_id}", f"/api/v1/jobs/{job_id}/events"):
        assert client.get(path, headers=other).status_code == 404
        assert client.get(path, headers=admin).status_code == 200
        assert client.get(path).status_code == 401
    assert client.post(f"/api/v1/jobs/{job_id}/cancel", headers=other).status_code == 404
    assert client.get(f"/api/v1/jobs/{uuid.uuid4()}", headers=auth).status_code == 404
    assert client.get("/api/v1/jobs/not-a-uuid", headers=auth).status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}/events?after=-1", headers=auth).status_code == 422


def test_cancel_a_queued_job_and_its_task_then_does_nothing(queued_app, make_user):
    client = queued_app.test_client()
    owner, auth = make_user()
    job_id = enqueue(queued_app, owner["id"])["id"]
    assert client.get(f"/api/v1/jobs/{job_id}", headers=auth).get_json()["status"] == "queued"
    cancelled = client.post(f"/api/v1/jobs/{job_id}/cancel", headers=auth)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    with queued_app.app_context():
        run_job(Jobs.state(), job_id)  # the queued task arrives after the cancel
        assert db.session.get(Job, job_id).status == "cancelled"
    again = client.post(f"/api/v1/jobs/{job_id}/cancel", headers=auth)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "job_finished"


def test_cancel_while_running_stops_the_handler_at_its_next_report(queued_app, make_user, script):
    owner, auth = make_user()
    job_id = enqueue(queued_app, owner["id"])["id"]
    with queued_app.app_context():
        job = store.claim(job_id, 60)
        assert job is not None and store.claim(job_id, 60) is None  # claimed once
        queued_app.test_client().post(f"/api/v1/jobs/{job_id}/cancel", headers=auth)
        with pytest.raises(JobAborted):
            store.append_event(job_id, "progress", {}, fence=job.attempts)
        row = db.session.get(Job, job_id, populate_existing=True)
        assert row.status == "cancelled" and row.result is None
    assert [t for _, t in events_of(queued_app, job_id)] == ["cancelled"]


def test_priorities_reach_the_consumer_high_first(queued_app, make_user):
    owner, _ = make_user()
    low = enqueue(queued_app, owner["id"], priority="low")["id"]
    normal = enqueue(queued_app, owner["id"])["id"]
    high = enqueue(queued_app, owner["id"], priority="high")["id"]
    huey = Jobs.state(queued_app).huey
    assert [huey.dequeue().args[0] for _ in range(3)] == [high, normal, low]


def test_unreachable_queue_keeps_the_job_for_the_reaper(database_url, tmp_path, make_user):
    from tests.conftest import make_app, wipe

    app = make_app(database_url, tmp_path, JOBS_IMMEDIATE=False, JOBS_QUEUE_URL="redis://127.0.0.1:9/0")
    try:
        owner, _ = make_user()
        job = enqueue(app, owner["id"])
        assert job["status"] == "queued"
        with app.app_context():
            assert db.session.get(Job, job["id"]).enqueued_at is None  # the reaper sends it first
    finally:
        wipe(app)
