"""The jobs subsystem's own work: dropping finished jobs past their retention, and a demo job."""

from __future__ import annotations

import datetime as dt
import time

from flask import current_app
from sqlalchemy import delete, select

from backend.common.models import utcnow
from backend.database import write_transaction
from backend.extensions import db
from backend.jobs.models import FINAL, Job
from backend.jobs.registry import job_handler, periodic

BATCH = 1000


@periodic("jobs.purge", minute="17", hour="3")
def purge_finished(days: int | None = None) -> int:
    """Delete final jobs finished more than `days` (JOBS_RETENTION_DAYS) ago, in short batches."""
    keep = days if days is not None else current_app.config["JOBS_RETENTION_DAYS"]
    before = utcnow() - dt.timedelta(days=keep)
    removed = 0
    while True:
        with write_transaction(db.session) as tx:
            ids = select(Job.id).where(Job.status.in_([s.value for s in FINAL]), Job.finished_at < before).limit(BATCH)
            count = tx.execute(delete(Job).where(Job.id.in_(ids))).rowcount
        removed += count
        if count < BATCH:
            return removed


@job_handler("jobs.demo", max_attempts=3)
def demo(ctx, payload: dict) -> dict:
    """A job that only waits and reports: operators check a worker with it (`flask jobs demo`).

    payload: {"steps": 1-1000, "step_seconds": 0-10}; each step is a `progress` event.
    """
    steps = max(1, min(1000, int(payload.get("steps", 5))))
    pause = max(0.0, min(10.0, float(payload.get("step_seconds", 0.5))))
    for step in range(1, steps + 1):
        time.sleep(pause)
        ctx.progress(step * 100 // steps, f"step {step} of {steps}")
    return {"steps": steps, "attempt": ctx.attempt}
