"""`Jobs`: the extension object binding the queue, the job handlers and the periodic tasks to an app."""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass

from flask import Flask, current_app
from huey import crontab
from huey.api import Huey

from backend.jobs.queue import make_huey
from backend.jobs.registry import PERIODIC, Periodic

log = logging.getLogger(__name__)
TASK_NAME = "jobs.run"


@dataclass(frozen=True)
class JobTimings:
    """The intervals (seconds) the runner, heartbeat and reaper use; tests shrink them."""

    lease: float
    heartbeat: float
    reaper: float
    requeue_after: float  # a queued row nothing picked up for this long is handed to the queue again
    retry_backoff: float  # a transient failure waits backoff * 2**(attempt-1) (+ jitter)
    retry_max_delay: float

    def retry_delay(self, attempt: int) -> float:
        """Seconds before retrying after failed attempt number `attempt`."""
        if self.retry_backoff <= 0:
            return 0.0
        delay = self.retry_backoff * 2 ** (attempt - 1)
        return min(self.retry_max_delay, delay + random.uniform(0, self.retry_backoff / 4))


class JobsState:
    """One app's queue and the leases its running jobs hold (for the heartbeat)."""

    def __init__(self, app: Flask, huey: Huey):
        """Register the one task (it runs any job by id) and the periodic tasks on `huey`."""
        self.app = app
        self.huey = huey
        cfg = app.config
        self.timings = JobTimings(cfg["JOBS_LEASE_SECONDS"], cfg["JOBS_HEARTBEAT_SECONDS"],
                                  cfg["JOBS_REAPER_SECONDS"], cfg["JOBS_REQUEUE_SECONDS"],
                                  cfg["JOBS_RETRY_BACKOFF"], cfg["JOBS_RETRY_MAX_DELAY"])
        self.leases: dict[str, int] = {}  # job id -> fence, for jobs running in this process
        self.leases_lock = threading.Lock()
        self.task = huey.task(name=TASK_NAME)(self._run)
        for spec in PERIODIC.values():
            self._schedule(spec)

    def _run(self, job_id: str) -> None:
        from backend.jobs.runner import run_job

        with self.app.app_context():
            run_job(self, job_id)

    def _schedule(self, spec: Periodic) -> None:
        def run() -> None:
            with self.app.app_context():
                spec.run()

        run.__name__ = spec.name.replace(".", "_")
        self.huey.periodic_task(crontab(minute=spec.minute, hour=spec.hour, day=spec.day), name=spec.name)(run)

    def send(self, job_id: str, priority: int, delay: float = 0.0) -> None:
        """Hand a job id to the queue (after its row is committed)."""
        self.huey.enqueue(self.task.s(job_id, priority=priority, delay=delay or None))


class Jobs:
    """Extension object; `Jobs.state()` is the typed accessor."""

    key = "jobs"

    def init_app(self, app: Flask) -> JobsState:
        """Build the app's queue from its config (nothing connects until a job is sent)."""
        state = app.extensions[self.key] = JobsState(app, make_huey(app.config))
        return state

    @classmethod
    def state(cls, app: Flask | None = None) -> JobsState:
        """The jobs state of `app` (default: the current app)."""
        return (app or current_app).extensions[cls.key]


jobs = Jobs()  # bound by the jobs domain's init hook, after every domain declared its handlers
