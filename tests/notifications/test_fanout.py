"""Fan-out to many users runs as a job that inserts NOTIFICATIONS_BATCH recipients per transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.common.events import publish
from backend.extensions import db as app_db
from backend.jobs.models import Job, JobEvent
from backend.notifications import delivery
from backend.notifications.models import Notification
from tests.conftest import make_app, wipe
from tests.notifications.conftest import NOTIFICATIONS, mine


@pytest.fixture
def small_batch_app(database_url, tmp_path):
    """An app whose fan-out inserts 3 recipients per write transaction."""
    application = make_app(database_url, tmp_path, NOTIFICATIONS_BATCH=3)
    yield application
    wipe(application)


def counts_by_user(db):
    return dict(db.session.execute(select(Notification.user_id, func.count()).group_by(Notification.user_id)).all())


def test_broadcast_to_everyone_runs_in_batches(small_batch_app, db):
    client = small_batch_app.test_client()
    from backend.auth import services

    with small_batch_app.app_context():
        users = [services.create_user(f"u{i}@example.com", "password-123", f"U {i}",
                                      "admin" if i < 2 else "user") for i in range(8)]
        token = services.issue_token(users[0]["id"])["token"]
        app_db.session.remove()
    admin = {"Authorization": f"Bearer {token}"}
    response = client.post(f"{NOTIFICATIONS}/broadcast", json={"audience": "everyone", "title": "Maintenance"},
                           headers=admin)
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert job["status"] == "succeeded" and job["result"] == {"stored": 8, "chunks": 3, "batch": 3}
    chunks = db.session.execute(select(JobEvent.data).where(JobEvent.job_id == job["id"], JobEvent.type == "chunk")
                                .order_by(JobEvent.seq)).scalars().all()
    assert [c["stored"] for c in chunks] == [3, 3, 2]
    assert counts_by_user(db) == {u["id"]: 1 for u in users}
    assert mine(client, admin)[0]["type"] == "announcement"
    for bad in ({"audience": "nobody", "title": "x"}, {"audience": "admins", "title": ""}, {"title": "x"}):
        assert client.post(f"{NOTIFICATIONS}/broadcast", json=bad, headers=admin).status_code == 422


def test_admin_alert_reaches_every_admin_and_honours_preferences(small_batch_app, db):
    from backend.auth import services

    client = small_batch_app.test_client()
    with small_batch_app.app_context():
        admins = [services.create_user(f"a{i}@example.com", "password-123", f"A {i}", "admin") for i in range(5)]
        user = services.create_user("u@example.com", "password-123", "U", "user")
        tokens = [services.issue_token(a["id"])["token"] for a in (admins[0], user)]
        app_db.session.remove()
    muted, plain = ({"Authorization": f"Bearer {t}"} for t in tokens)
    client.put(f"{NOTIFICATIONS}/preferences", json={"disabled_types": ["admin_alert"]}, headers=muted)
    assert client.post(f"{NOTIFICATIONS}/broadcast", json={"audience": "everyone", "title": "x"},
                       headers=plain).status_code == 403
    with small_batch_app.test_request_context():
        assert publish("admin_alert", title="Disk 90% full", body="db volume", data={"pct": 90}) == 1
        app_db.session.remove()
    assert counts_by_user(db) == {a["id"]: 1 for a in admins[1:]}  # the muted admin and the user: none
    job = db.session.execute(select(Job.result).where(Job.kind == delivery.FANOUT)).scalar_one()
    assert job == {"stored": 4, "chunks": 2, "batch": 3}


def test_notify_beyond_one_batch_hands_over_to_the_job(small_batch_app, db):
    from backend.auth import services

    with small_batch_app.app_context():
        ids = [services.create_user(f"n{i}@example.com", "password-123", "N", "user")["id"] for i in range(7)]
        assert delivery.notify(ids[:3], "announcement", "inline") != []  # one batch: stored here
        assert delivery.notify(ids, "announcement", "by job") == []  # more: the job stored them
        app_db.session.remove()
    assert counts_by_user(db) == {i: (2 if i in ids[:3] else 1) for i in ids}
    assert db.session.execute(select(Job.result).where(Job.kind == delivery.FANOUT)).scalar_one()["chunks"] == 3


def test_a_failing_subscriber_never_undoes_the_publisher(app, make_user, monkeypatch):
    from backend.notifications import subscribers

    def broken(**_):
        raise RuntimeError("notification store down")

    client = app.test_client()
    _, headers = make_user()
    monkeypatch.setattr(subscribers, "notify", broken)  # failure injection: the store "goes down"
    changed = client.post("/api/v1/auth/password", json={"current_password": "password-123",
                                                        "new_password": "another-pass-456"}, headers=headers)
    assert changed.status_code in (200, 204)
    email = client.get("/api/v1/auth/me", headers=headers).get_json()["email"]
    login = client.post("/api/v1/auth/login", json={"email": email, "password": "another-pass-456"})
    assert login.status_code == 200  # the change committed although its notification failed
    assert mine(client, headers) == []
