"""`JobContext`: what a handler gets to report progress, emit events and notice cancellation."""

from __future__ import annotations

from typing import Any

from backend.common.models import utcnow
from backend.jobs import store
from backend.jobs.models import Job, JobStatus


class JobContext:
    """One attempt of one job. Every write is fenced: after a cancel it raises JobAborted."""

    def __init__(self, job: Job, state: Any):
        """`job` as claimed (its `attempts` is this attempt's fence)."""
        self.job = job
        self.job_id = job.id
        self.attempt = job.attempts
        self.owner_id = job.owner_id
        self._lease = state.timings.lease

    def emit(self, type_: str, data: Any = None, *, progress: int | None = None, message: str | None = None) -> int:
        """Store an event (optionally moving progress 0-100 and its message); renews the lease."""
        changes: dict[str, Any] = {}
        if progress is not None:
            changes["progress"] = max(0, min(100, int(progress)))
        if message is not None:
            changes["message"] = message[:200]
        return store.append_event(self.job_id, type_, data, fence=self.attempt, lease_seconds=self._lease, **changes)

    def progress(self, percent: int, message: str | None = None) -> int:
        """Report progress as a `progress` event."""
        return self.emit("progress", {"progress": percent, "message": message}, progress=percent, message=message)

    def check(self) -> None:
        """Raise JobAborted if the job was cancelled or taken over (a cheap heartbeat write)."""
        store.renew_one(self.job_id, self.attempt, self._lease)

    def finish(self, result: Any) -> int:
        """Record success: status, 100%, the result, and a `completed` event carrying it."""
        return store.append_event(self.job_id, "completed", result, fence=self.attempt,
                                  status=JobStatus.SUCCEEDED.value, progress=100, result=result,
                                  lease_until=None, finished_at=utcnow())
