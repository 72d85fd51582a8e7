"""The consumer process (`make worker`, `python -m backend.jobs.worker`).

Runs Huey's consumer on the app's queue with JOBS_WORKERS threads, plus two loops of its own:
the heartbeat (renews the lease of every job running here every JOBS_HEARTBEAT_SECONDS, so a
long step is not mistaken for a dead worker) and the reaper (every JOBS_REAPER_SECONDS). Huey's
`timeout=` cannot stop a thread, so a hung handler is bounded by its own deadlines (the
outbound client's) and, if the process dies, by the lease.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from flask import Flask
from huey.consumer import Consumer

log = logging.getLogger("backend.jobs.worker")
METRICS_SECONDS = 5.0


def every(seconds: float, fn: Callable[[], object], stop: threading.Event, name: str) -> threading.Thread:
    """Run `fn` every `seconds` on a daemon thread until `stop` is set; errors are logged, not fatal."""

    def loop() -> None:
        while not stop.wait(seconds):
            try:
                fn()
            except Exception:  # a database blip must not end the loop
                log.exception("%s failed; retrying in %.1f s", name, seconds)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread


def start_loops(app: Flask, stop: threading.Event) -> None:
    """The heartbeat and reaper threads of a consumer process."""
    from backend.extensions import db
    from backend.jobs import store
    from backend.jobs.extension import Jobs
    from backend.jobs.reaper import reap

    state = Jobs.state(app)

    def heartbeat() -> None:
        with state.leases_lock:
            leases = dict(state.leases)
        with app.app_context():
            store.renew(leases, state.timings.lease)
            db.session.remove()

    def reaper() -> None:
        with app.app_context():
            reap()
            db.session.remove()

    every(state.timings.heartbeat, heartbeat, stop, "jobs-heartbeat")
    every(state.timings.reaper, reaper, stop, "jobs-reaper")
    if app.config.get("METRICS_ENABLED"):  # queue depth and queued/running rows for /metrics
        from backend.observability.metrics import refresh_jobs

        every(METRICS_SECONDS, lambda: refresh_jobs(app), stop, "jobs-metrics")


def main() -> None:
    """Build the app, start the loops, run the consumer until SIGINT/SIGTERM."""
    from backend import create_app
    from backend.jobs.extension import Jobs

    app = create_app()  # also routes every logger through the JSON lines of backend/logs
    state = Jobs.state(app)
    if app.config.get("JOBS_IMMEDIATE"):
        raise SystemExit("JOBS_IMMEDIATE is set: jobs run inside requests, there is nothing to consume")
    stop = threading.Event()
    start_loops(app, stop)
    consumer = Consumer(state.huey, workers=app.config["JOBS_WORKERS"], worker_type="thread", periodic=True,
                        initial_delay=0.05, backoff=1.5, max_delay=app.config["JOBS_POLL_MAX_DELAY"],
                        check_worker_health=True)
    log.info("worker: %d threads on %s", app.config["JOBS_WORKERS"], type(state.huey).__name__)
    try:
        consumer.run()
    finally:
        stop.set()


if __name__ == "__main__":
    main()
