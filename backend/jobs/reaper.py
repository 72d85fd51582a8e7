"""The reaper: no job is lost to a dead worker or a queue that dropped it.

- `running` past its lease (the worker died or hung without heartbeats): back to `queued` and
  re-sent, or `failed` with `lease_expired` after its last attempt. The lost attempt is fenced
  out: if it was only slow, its next write finds the row moved on and it stops.
- `queued` and due, but not handed to the queue for JOBS_REQUEUE_SECONDS (or never, when the
  queue was down at enqueue): re-sent. A task that arrives twice claims once (store.claim).
The worker runs `reap()` every JOBS_REAPER_SECONDS; `flask jobs reap` runs it once.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from backend.common.models import utcnow
from backend.extensions import db
from backend.jobs import store
from backend.jobs.errors import JobAborted
from backend.jobs.extension import Jobs
from backend.jobs.models import QUEUE_PRIORITY, Job, JobStatus

log = logging.getLogger(__name__)
BATCH = 500


def reap() -> dict[str, int]:
    """One pass; returns how many jobs were requeued, failed and re-sent."""
    state = Jobs.state()
    now = utcnow()
    counts = {"requeued": 0, "failed": 0, "resent": 0}
    expired = db.session.execute(
        select(Job.id, Job.attempts, Job.max_attempts, Job.priority)
        .where(Job.status == JobStatus.RUNNING.value, Job.lease_until < now).limit(BATCH)).all()
    stale_before = now - dt.timedelta(seconds=state.timings.requeue_after)
    stale = db.session.execute(
        select(Job.id, Job.priority)
        .where(Job.status == JobStatus.QUEUED.value, (Job.run_after.is_(None)) | (Job.run_after <= now),
               (Job.enqueued_at.is_(None)) | (Job.enqueued_at < stale_before)).limit(BATCH)).all()
    db.session.commit()  # end the read snapshot before writing
    for job_id, attempts, max_attempts, priority in expired:
        counts["requeued" if attempts < max_attempts else "failed"] += _expire(state, job_id, attempts,
                                                                            max_attempts, priority)
    for job_id, priority in stale:
        store.mark_enqueued(job_id)
        state.send(job_id, QUEUE_PRIORITY[priority])
        counts["resent"] += 1
    if any(counts.values()):
        log.warning("reaper: %s", counts)
    return counts


def _expire(state, job_id: str, attempts: int, max_attempts: int, priority: str) -> int:
    expired = (Job.lease_until < utcnow(),)  # a heartbeat since the read keeps the job where it is
    error = {"code": "lease_expired", "message": "the worker running this job stopped answering",
             "attempt": attempts}
    try:
        if attempts < max_attempts:
            store.append_event(job_id, "requeued", error, fence=attempts, also=expired, status=JobStatus.QUEUED.value,
                               lease_until=None, enqueued_at=utcnow(), error_code=error["code"],
                               error_message=error["message"])
            state.send(job_id, QUEUE_PRIORITY[priority])
        else:
            store.append_event(job_id, "failed", error, fence=attempts, also=expired, status=JobStatus.FAILED.value,
                               lease_until=None, finished_at=utcnow(), error_code=error["code"],
                               error_message=error["message"])
    except JobAborted:  # it finished or renewed between the read and this write
        return 0
    return 1
