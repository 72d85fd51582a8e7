"""A real consumer process: it runs jobs, and a consumer killed mid-job does not lose the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from backend.extensions import db
from backend.jobs import services
from backend.jobs.models import Job, JobEvent
from scripts.server import ROOT, server_env
from tests.conftest import PG_SCHEMA

pytestmark = pytest.mark.slow


def start_worker(database_url, tmp_path, log_name):
    env = server_env({"APP_ENV": "development", "DATABASE_URL": database_url,
                      "JOBS_QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}", "JOBS_LEASE_SECONDS": "1.5",
                      "JOBS_HEARTBEAT_SECONDS": "0.3", "JOBS_REAPER_SECONDS": "0.3",
                      "CACHE_GENERATIONS_PATH": str(tmp_path / "gens"), "INSIGHT_DIR": str(tmp_path / "insight")},
                     drop=("REDIS_URL",))
    if not database_url.startswith("sqlite"):
        env["DB_SCHEMA"] = PG_SCHEMA
    log = open(tmp_path / log_name, "wb")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen([sys.executable, "-m", "backend.jobs.worker"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(app, job_id, predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            job = db.session.get(Job, job_id)
            db.session.remove()
        if predicate(job):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never got there: {job.status} {job.progress}%")


def test_killed_consumer_mid_job_is_recovered_by_the_next_one(queued_app, database_url, tmp_path, make_user):
    owner, _ = make_user()
    with queued_app.app_context():
        job_id = services.enqueue("jobs.demo", {"steps": 12, "step_seconds": 0.25}, owner["id"])["id"]
        db.session.remove()
    first = start_worker(database_url, tmp_path, "worker1.log")
    try:
        running = wait_for(queued_app, job_id, lambda j: j.status == "running" and j.progress >= 25)
        assert running.attempts == 1
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # no goodbye: the lease is all that is left
        first.wait(10)
    second = start_worker(database_url, tmp_path, "worker2.log")
    try:
        done = wait_for(queued_app, job_id, lambda j: j.status == "succeeded", timeout=45)
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(15)
    assert done.attempts == 2 and done.result == {"steps": 12, "attempt": 2}
    with queued_app.app_context():
        types = [e.type for e in db.session.query(JobEvent).filter_by(job_id=job_id).order_by(JobEvent.seq)]
    assert "requeued" in types and types[-1] == "completed"
    assert types.count("starting") == 2
