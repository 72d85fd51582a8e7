"""Jobs as clients and operators see them: enqueue, read, cancel, retry, list, poll events.

Visibility: a job is seen by its owner and by admins; anyone else gets 404 (ids do not leak).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select

from backend.common.actor import Actor
from backend.common.models import utcnow
from backend.common.pagination import cursor_datetime, decode_cursor, encode_cursor, envelope
from backend.errors import Conflict, NotFound
from backend.extensions import db
from backend.jobs import links, store
from backend.jobs.extension import Jobs
from backend.jobs.models import FINAL, QUEUE_PRIORITY, Job, JobEvent, JobStatus, Priority
from backend.jobs.registry import HANDLERS

log = logging.getLogger(__name__)
QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = JobStatus


def enqueue(kind: str, payload: dict[str, Any], owner_id: int | None, *, priority: Priority | None = None,
            job_id: str | None = None) -> dict[str, Any]:
    """Commit a queued job, then hand it to the queue; returns the job as clients see it.

    If the queue cannot be reached the row stays `queued` with no `enqueued_at`, and the reaper
    hands it over on its next pass: the job is late, never lost.
    """
    handler = HANDLERS[kind]
    row = store.create(kind, payload, owner_id, priority or handler.priority, handler.max_attempts, job_id)
    send(row["id"], row["priority"])
    return _fresh(row["id"])


def send(job_id: str, priority: str, delay: float = 0.0) -> bool:
    """Hand a job id to the queue; False (logged) when the queue is unreachable."""
    try:
        Jobs.state().send(job_id, QUEUE_PRIORITY[Priority(priority)], delay)
        return True
    except Exception:  # the row is the truth; the reaper re-sends rows whose hand-over failed
        log.warning("job %s: queue unreachable; the reaper will send it", job_id, exc_info=True)
        try:
            store.clear_enqueued(job_id)
        except Exception:  # the database is down too; the reaper finds the row by its old enqueued_at
            log.warning("job %s: could not mark it unsent", job_id, exc_info=True)
        return False


def visible_job(actor: Actor, job_id: str) -> Job:
    """The job if the actor may see it (owner or admin), else 404."""
    job = db.session.get(Job, str(job_id))
    if job is None or (job.owner_id != actor.id and not actor.is_admin):
        raise NotFound("job not found")
    return job


def get_job(actor: Actor, job_id: str) -> dict[str, Any]:
    """One job (owner or admin)."""
    return public(visible_job(actor, job_id))


def cancel(actor: Actor, job_id: str) -> dict[str, Any]:
    """Cancel a queued or running job (a running handler stops at its next report); final jobs 409."""
    job_id = visible_job(actor, job_id).id
    seq = store.transition(job_id, (QUEUED, RUNNING), "cancelled", {"by": actor.id},
                           status=CANCELLED.value, lease_until=None, finished_at=utcnow(),
                           error_code="cancelled", error_message="cancelled by request")
    if seq is None:
        raise Conflict(f"job is already {_status(job_id)}", {"status": _status(job_id)}, code="job_finished")
    return _fresh(job_id)


def retry(job_id: str) -> dict[str, Any]:
    """Re-run a failed or cancelled job from its first attempt (admin)."""
    job = db.session.get(Job, str(job_id))
    if job is None:
        raise NotFound("job not found")
    job_id, priority = job.id, job.priority
    seq = store.transition(job_id, (FAILED, CANCELLED), "requeued", {"reason": "retry"},
                           status=QUEUED.value, attempts=0, progress=0, message=None, result=None,
                           error_code=None, error_message=None, finished_at=None, run_after=None,
                           lease_until=None, enqueued_at=utcnow())
    if seq is None:
        raise Conflict(f"only failed or cancelled jobs are retried; this one is {_status(job_id)}",
                       {"status": _status(job_id)}, code="job_not_retryable")
    send(job_id, priority)
    return _fresh(job_id)


def list_jobs(status: str | None, kind: str | None, per_page: int, cursor: str | None) -> dict[str, Any]:
    """Jobs newest first, filtered by status and kind (admin); keyset cursor pages."""
    where = [c for c in (Job.status == status if status else None, Job.kind == kind if kind else None)
             if c is not None]
    query = select(Job).where(*where).order_by(Job.created_at.desc(), Job.id.desc()).limit(per_page + 1)
    if cursor:
        at, last_id = decode_cursor(cursor, "created", [cursor_datetime, _cursor_uuid])
        query = query.where((Job.created_at < at) | ((Job.created_at == at) & (Job.id < last_id)))
    rows = db.session.execute(query).scalars().all()
    total = db.session.execute(select(func.count()).select_from(Job).where(*where)).scalar_one()
    more = len(rows) > per_page
    rows = rows[:per_page]
    next_cursor = encode_cursor("created", [rows[-1].created_at.isoformat(), rows[-1].id]) if more else None
    return envelope([public(r) for r in rows], None, per_page, total, next_cursor)


def events(actor: Actor, job_id: str, after: int, limit: int) -> dict[str, Any]:
    """The job's events with seq > after (oldest first), with the job's status to know when to stop."""
    job = visible_job(actor, job_id)
    rows = db.session.execute(select(JobEvent.seq, JobEvent.type, JobEvent.data, JobEvent.at)
                              .where(JobEvent.job_id == job.id, JobEvent.seq > after)
                              .order_by(JobEvent.seq).limit(limit)).all()
    items = [{"seq": r.seq, "type": r.type, "data": r.data, "at": r.at} for r in rows]
    page = envelope(items, None, limit, job.last_seq, None)
    page.update(status=job.status, last_seq=job.last_seq,
                after=items[-1]["seq"] if items else after, done=job.status in FINAL and (
                    not items or items[-1]["seq"] >= job.last_seq))
    return page


def public(job: Job) -> dict[str, Any]:
    """A job as clients see it (never its payload: it may hold what another service needs only)."""
    error = {"code": job.error_code, "message": job.error_message} if job.error_code else None
    return {"id": job.id, "kind": job.kind, "status": job.status, "priority": job.priority,
            "progress": job.progress, "message": job.message, "result": job.result, "error": error,
            "attempts": job.attempts, "max_attempts": job.max_attempts, "owner_id": job.owner_id,
            "created_at": job.created_at, "started_at": job.started_at, "finished_at": job.finished_at,
            "updated_at": job.updated_at, "status_url": links.status_url(job.id),
            "events_url": links.events_url(job.id), "stream_url": links.stream_url(job.id, job.owner_id)}


def _fresh(job_id: str) -> dict[str, Any]:
    """The job as committed now: a new snapshot (SQLite keeps a read transaction's view), fresh attributes."""
    db.session.commit()
    return public(db.session.get(Job, job_id, populate_existing=True))


def _status(job_id: str) -> str:
    return db.session.execute(select(Job.status).where(Job.id == job_id)).scalar_one()


def _cursor_uuid(value: Any) -> str:
    if isinstance(value, str) and len(value) == 36:
        return value
    raise ValueError("not a job id")
