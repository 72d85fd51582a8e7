"""The reaper: expired leases go back to the queue (or fail after the last attempt), lost sends are re-sent."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import update

from backend.database import write_transaction
from backend.extensions import db
from backend.jobs import services, store
from backend.jobs.errors import JobAborted
from backend.jobs.extension import Jobs
from backend.jobs.models import Job, JobEvent
from backend.jobs.reaper import reap


def queued_job(app, owner_id):
    with app.app_context():
        job_id = services.enqueue("test.scripted", {}, owner_id)["id"]
        Jobs.state().huey.flush()  # the queue forgets it: only the row knows
        return job_id


def test_expired_lease_requeues_and_fences_out_the_lost_attempt(queued_app, make_user):
    owner, _ = make_user()
    job_id = queued_job(queued_app, owner["id"])
    with queued_app.app_context():
        lost = store.claim(job_id, 0.05)
        time.sleep(0.1)
        assert reap()["requeued"] == 1
        row = db.session.get(Job, job_id, populate_existing=True)
        assert (row.status, row.error_code, row.lease_until) == ("queued", "lease_expired", None)
        assert Jobs.state().huey.dequeue().args == (job_id,)  # handed to the queue again
        with pytest.raises(JobAborted):  # the old attempt wakes up: its writes no longer land
            store.append_event(job_id, "progress", {}, fence=lost.attempts)
        second = store.claim(job_id, 60)
        assert second.attempts == 2


def test_last_attempt_past_its_lease_fails(queued_app, make_user):
    owner, _ = make_user()
    job_id = queued_job(queued_app, owner["id"])
    with queued_app.app_context():
        with write_transaction(db.session) as tx:
            tx.execute(update(Job).where(Job.id == job_id).values(attempts=2))
        store.claim(job_id, 0.01)
        time.sleep(0.05)
        assert reap()["failed"] == 1
        row = db.session.get(Job, job_id, populate_existing=True)
        assert (row.status, row.error_code, row.attempts) == ("failed", "lease_expired", 3)
        types = [e.type for e in db.session.query(JobEvent).filter_by(job_id=job_id).order_by(JobEvent.seq)]
        assert types == ["failed"]


def test_a_heartbeat_keeps_a_long_job_from_being_reaped(queued_app, make_user):
    owner, _ = make_user()
    job_id = queued_job(queued_app, owner["id"])
    with queued_app.app_context():
        job = store.claim(job_id, 0.2)
        for _ in range(4):
            time.sleep(0.1)
            assert store.renew({job_id: job.attempts}, 0.2) == 1
            assert reap()["requeued"] == 0
        assert db.session.get(Job, job_id, populate_existing=True).status == "running"


def test_queued_rows_nothing_picked_up_are_sent_again(queued_app, make_user):
    owner, _ = make_user()
    job_id = queued_job(queued_app, owner["id"])
    with queued_app.app_context():
        assert reap()["resent"] == 0  # recently sent: give the queue its time
        with write_transaction(db.session) as tx:
            tx.execute(update(Job).where(Job.id == job_id).values(enqueued_at=dt.datetime(2020, 1, 1)))
        assert reap()["resent"] == 1
        assert Jobs.state().huey.dequeue().args == (job_id,)
        assert reap()["resent"] == 0
