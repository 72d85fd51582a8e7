"""The evaluator's schedule: a `@periodic` task every minute that runs ticks every MONITORING_EVAL_SECONDS.

Huey's periodic tasks have minute granularity, and a consumer thread held for the whole minute would
take one of JOBS_WORKERS threads from the jobs. So the periodic task only starts a short-lived
daemon thread that runs the minute's ticks on their boundaries (at :00 and :30 with the default
30 s) and returns at once. Each tick is claimed in the database (evaluate.claim), so the periodic
task running on several workers or hosts, or a slow minute overlapping the next, evaluates each
tick once.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time

from flask import Flask, current_app
from sqlalchemy import delete, select

from backend.common.models import utcnow
from backend.database import write_transaction
from backend.extensions import db
from backend.jobs.registry import periodic
from backend.monitoring import evaluate
from backend.monitoring.models import Alert, IncidentAlert, Silence

BATCH = 1000

log = logging.getLogger(__name__)
SPAN = 60.0  # the periodic task's period (crontab minute="*")


def run_ticks(app: Flask, span: float = SPAN, clock=time.time, sleep=time.sleep) -> int:
    """Evaluate on every tick boundary in the next `span` seconds (the current tick first); ticks run."""
    step = evaluate.interval(app)
    ends = clock() + span
    ran = 0
    while True:
        started = clock()
        with app.app_context():
            try:
                if evaluate.evaluate_tick(app) is not None:
                    ran += 1
            except Exception:  # a database blip: the next tick tries again
                log.exception("monitoring: evaluation failed")
            finally:
                db.session.remove()
        boundary = (math.floor(started / step) + 1) * step
        if boundary >= ends:
            return ran
        sleep(max(0.0, boundary - clock()))


@periodic("monitoring.evaluate", minute="*")
def evaluate_minute() -> None:
    """Start this minute's ticks on a daemon thread (returns at once; see the module docstring)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("MONITORING_ENABLED", True):
        threading.Thread(target=run_ticks, args=(app, SPAN - 1.0), name="sf-monitoring-ticks", daemon=True).start()


@periodic("monitoring.purge", minute="41", hour="3")
def purge(days: int | None = None) -> int:
    """Delete old resolved alerts and ended silences; the number of alerts removed.

    "Old" is MONITORING_RETENTION_DAYS; deliveries go with their alerts, in short batches; alerts
    linked to an incident are kept with it.
    """
    keep = days if days is not None else current_app.config["MONITORING_RETENTION_DAYS"]
    before = utcnow() - dt.timedelta(days=keep)
    removed = 0
    while True:
        with write_transaction(db.session) as tx:
            ids = (select(Alert.id).where(Alert.status == "resolved", Alert.resolved_at < before,
                                          Alert.id.not_in(select(IncidentAlert.alert_id))).limit(BATCH))
            count = tx.execute(delete(Alert).where(Alert.id.in_(ids))).rowcount
        removed += count
        if count < BATCH:
            break
    with write_transaction(db.session) as tx:
        tx.execute(delete(Silence).where(Silence.ends_at < before))
    return removed
