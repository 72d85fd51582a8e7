"""Every write to a job row, each one short transaction, fenced by status and attempt.

The fencing token is `attempts`: a worker that claimed attempt 3 writes only while the row is
`running` with attempts = 3. When the reaper hands the job to another attempt, or a client
cancels it, the first worker's next write matches no row and it stops (`JobAborted`): two
workers can never both finish a job, and a cancelled job is never resurrected.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import insert, select, update

from backend.common.models import utcnow
from backend.database import write_transaction
from backend.extensions import db
from backend.jobs.errors import JobAborted
from backend.jobs.models import Job, JobEvent, JobStatus, Priority

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = JobStatus


def create(kind: str, payload: dict[str, Any], owner_id: int | None, priority: Priority,
           max_attempts: int, job_id: str | None = None) -> dict[str, Any]:
    """Insert a queued job and commit it (it must exist before its task is queued)."""
    now = utcnow()
    row = {"id": job_id or str(uuid.uuid4()), "kind": kind, "owner_id": owner_id, "status": QUEUED.value,
           "priority": Priority(priority).value, "progress": 0, "payload": payload, "attempts": 0,
           "max_attempts": max_attempts, "last_seq": 0, "created_at": now, "updated_at": now, "enqueued_at": now}
    with write_transaction(db.session) as tx:
        tx.execute(insert(Job), [row])
    return row


def mark_enqueued(job_id: str) -> None:
    """Record that the queue was handed the job now (the reaper re-sends rows nothing picked up)."""
    with write_transaction(db.session) as tx:
        tx.execute(update(Job).where(Job.id == job_id).values(enqueued_at=utcnow()))


def clear_enqueued(job_id: str) -> None:
    """Record that handing the job to the queue failed (the reaper sends such rows first)."""
    with write_transaction(db.session) as tx:
        tx.execute(update(Job).where(Job.id == job_id).values(enqueued_at=None))


def claim(job_id: str, lease_seconds: float) -> Job | None:
    """Take a queued job (attempts + 1, leased); None when it is not ours to run."""
    now = utcnow()
    with write_transaction(db.session) as tx:
        taken = tx.execute(
            update(Job).where(Job.id == job_id, Job.status == QUEUED.value,
                              (Job.run_after.is_(None)) | (Job.run_after <= now))
            .values(status=RUNNING.value, attempts=Job.attempts + 1, lease_until=now + _seconds(lease_seconds),
                    started_at=now, updated_at=now, run_after=None, error_code=None, error_message=None)
        ).rowcount
        if not taken:
            return None
        job = tx.execute(select(Job).where(Job.id == job_id)).scalar_one()
        tx.expunge(job)
        return job


def append_event(job_id: str, type_: str, data: Any = None, *, fence: int | None = None,
                 lease_seconds: float | None = None, also: tuple = (), **changes: Any) -> int:
    """Write one event (and `changes` to the row) in one transaction; returns its seq.

    With a `fence` the job must still be running as that attempt (else JobAborted); a write also
    renews the lease when `lease_seconds` is given, so a job that reports progress stays alive.
    `also` adds conditions (the reaper's "lease still expired").
    """
    now = utcnow()
    where = [Job.id == job_id, *also]
    if fence is not None:
        where += [Job.status == RUNNING.value, Job.attempts == fence]
    if lease_seconds is not None:
        changes["lease_until"] = now + _seconds(lease_seconds)
    with write_transaction(db.session) as tx:
        seq = tx.execute(update(Job).where(*where)
                         .values(last_seq=Job.last_seq + 1, updated_at=now, **changes)
                         .returning(Job.last_seq)).scalar()
        if seq is None:
            raise JobAborted(job_id)
        tx.execute(insert(JobEvent), [{"job_id": job_id, "seq": seq, "type": type_, "data": data, "at": now}])
    return seq


def renew(leases: dict[str, int], lease_seconds: float) -> int:
    """Extend the lease of each running job (id -> fence) this process holds; returns how many."""
    if not leases:
        return 0
    until = utcnow() + _seconds(lease_seconds)
    renewed = 0
    with write_transaction(db.session) as tx:
        for job_id, fence in leases.items():
            renewed += tx.execute(update(Job).where(Job.id == job_id, Job.status == RUNNING.value,
                                                    Job.attempts == fence).values(lease_until=until)).rowcount
    return renewed


def renew_one(job_id: str, fence: int, lease_seconds: float) -> None:
    """Extend one running job's lease; JobAborted when it is no longer this attempt's."""
    with write_transaction(db.session) as tx:
        if not tx.execute(update(Job).where(Job.id == job_id, Job.status == RUNNING.value, Job.attempts == fence)
                          .values(lease_until=utcnow() + _seconds(lease_seconds))).rowcount:
            raise JobAborted(job_id)


def transition(job_id: str, from_statuses: tuple[JobStatus, ...], event: str, data: Any = None,
               **changes: Any) -> int | None:
    """Move a job from one of `from_statuses` (cancel, retry, reap), with its event; None if it was not."""
    where = [Job.id == job_id, Job.status.in_([s.value for s in from_statuses])]
    now = utcnow()
    with write_transaction(db.session) as tx:
        seq = tx.execute(update(Job).where(*where).values(last_seq=Job.last_seq + 1, updated_at=now, **changes)
                         .returning(Job.last_seq)).scalar()
        if seq is not None:
            tx.execute(insert(JobEvent), [{"job_id": job_id, "seq": seq, "type": event, "data": data, "at": now}])
    return seq


def _seconds(value: float) -> dt.timedelta:
    return dt.timedelta(seconds=value)
