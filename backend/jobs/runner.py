"""Running one job: claim it, give the handler a context, record how it ended.

Outcomes: the handler returns -> `succeeded` with its result (event `completed`); it raises a
transient failure (TransientJobError, a provider timeout/5xx/open breaker, a database hiccup)
with attempts left -> back to `queued` with a backoff (event `retrying`) and re-sent to the queue
with that delay; any other failure, or the last attempt -> `failed` with its error (event
`failed`), where an operator can list it and re-run it. A bug in a handler is logged with its
traceback and recorded as `internal_error` without the exception text (it may hold user data).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from sqlalchemy.exc import OperationalError

from backend.common.models import utcnow
from backend.integrations.errors import ProviderBadResponse, ProviderError, ProviderHTTPError, ProviderNotConfigured
from backend.jobs import store
from backend.jobs.context import JobContext
from backend.jobs.errors import JobAborted, JobFailed
from backend.jobs.models import QUEUE_PRIORITY, Job, JobStatus
from backend.jobs.registry import HANDLERS
from backend.observability import signals

log = logging.getLogger(__name__)


def run_job(state: Any, job_id: str) -> None:
    """Run job `job_id` if it is queued and due; anything else was done or is being done elsewhere."""
    job = store.claim(job_id, state.timings.lease)
    if job is None:
        return
    handler = HANDLERS.get(job.kind)
    ctx = JobContext(job, state)
    with state.leases_lock:
        state.leases[job.id] = job.attempts
    started = time.monotonic()
    outcome = "succeeded"
    try:
        with signals.job_span(job.kind, job.id):  # a trace span per attempt when traces are on
            if handler is None:
                raise JobFailed("unknown_kind", f"no handler for job kind {job.kind!r}")
            ctx.emit("starting", {"attempt": job.attempts, "kind": job.kind})
            result = handler.run(ctx, job.payload)
            ctx.finish(result)
        log.info("job %s (%s) succeeded in %.3f s, attempt %d", job.id, job.kind, time.monotonic() - started,
                 job.attempts)
    except JobAborted:
        outcome = "aborted"
        log.info("job %s (%s) stopped: cancelled or taken over", job.id, job.kind)
    except Exception as exc:  # every failure ends in the row, never only in a log
        outcome = _failed(state, job, exc, time.monotonic() - started)
    finally:
        signals.job_done(job.kind, outcome, time.monotonic() - started)
        with state.leases_lock:
            if state.leases.get(job.id) == job.attempts:
                del state.leases[job.id]


def classify(exc: BaseException) -> tuple[str, str, bool]:
    """(code, message, transient) for the job's error."""
    if isinstance(exc, JobFailed):
        return exc.code, exc.message, exc.transient
    if isinstance(exc, (ProviderNotConfigured, ProviderBadResponse)):
        return exc.code, exc.message, False
    if isinstance(exc, ProviderHTTPError):
        return exc.code, exc.message, exc.transient
    if isinstance(exc, ProviderError):  # timeouts, refused connections, an open breaker
        return exc.code, exc.message, True
    if isinstance(exc, OperationalError):
        return "database_unavailable", "the database was not available", True
    return "internal_error", "the job failed unexpectedly", False


def _failed(state: Any, job: Job, exc: BaseException, seconds: float) -> str:
    """Record the failure (retry or final); returns the outcome for the metrics."""
    code, message, transient = classify(exc)
    error = {"code": code, "message": message[:500]}
    log_fn = log.exception if code == "internal_error" else log.warning
    log_fn("job %s (%s) attempt %d/%d failed after %.3f s: %s", job.id, job.kind, job.attempts,
           job.max_attempts, seconds, code)
    try:
        if transient and job.attempts < job.max_attempts:
            delay = state.timings.retry_delay(job.attempts)
            run_after = utcnow() + dt.timedelta(seconds=delay)
            store.append_event(job.id, "retrying", {**error, "attempt": job.attempts, "delay": round(delay, 3)},
                               fence=job.attempts, status=JobStatus.QUEUED.value, lease_until=None,
                               run_after=run_after, enqueued_at=utcnow(), error_code=code,
                               error_message=error["message"])
            state.send(job.id, QUEUE_PRIORITY[job.priority], delay)
            return "retrying"
        store.append_event(job.id, "failed", {**error, "attempt": job.attempts}, fence=job.attempts,
                           status=JobStatus.FAILED.value, lease_until=None, finished_at=utcnow(),
                           error_code=code, error_message=error["message"])
    except JobAborted:
        log.info("job %s: failure not recorded, the job was cancelled or taken over", job.id)
        return "aborted"
    return "failed"

