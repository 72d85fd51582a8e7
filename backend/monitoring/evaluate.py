"""One evaluation tick: claim it, read every rule's series, move alerts through their states, notify.

Claiming: ticks are numbered `floor(epoch / MONITORING_EVAL_SECONDS)` and the one row of
`monitoring_claims` holds the last tick taken; `UPDATE ... SET tick = :t WHERE tick < :t` is
atomic on SQLite and PostgreSQL, so however many workers or hosts run the periodic task, exactly
one evaluates each tick (the others see rowcount 0 and return). Behind that, the partial unique
index on active fingerprints makes a second open alert for one series impossible, and each
notification level is taken by a compare-and-set (notify.py), so an overlapping slow tick cannot
send one twice either.

Order inside a tick: read every value first (health checks, the jobs table, counters: no write
lock held while they run), then one short write transaction for the state changes, then the
deliveries (HTTP/SMTP, outside any transaction).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import operator
import os
import socket
from typing import Any

from flask import Flask, current_app
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from backend.common.models import utcnow
from backend.database import write_transaction
from backend.extensions import db
from backend.monitoring import notify, registry
from backend.monitoring.models import ACTIVE, Alert, AlertRule, AlertStatus, EvaluationClaim, MetricSample

log = logging.getLogger(__name__)
CLAIM = "evaluator"
MAX_WINDOW = 86400
COMPARE = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le, "eq": operator.eq,
           "ne": operator.ne}
HOLDER = f"{socket.gethostname()[:60]}:{os.getpid()}"


def interval(app: Flask | None = None) -> float:
    """Seconds between ticks (MONITORING_EVAL_SECONDS, at least 0.05)."""
    return max(0.05, float((app or current_app).config["MONITORING_EVAL_SECONDS"]))


def claim(tick: int, now: dt.datetime) -> bool:
    """Take tick number `tick` for this process; False when another evaluator has it (or a later one)."""
    values = {"tick": tick, "holder": HOLDER, "claimed_at": now}
    with write_transaction(db.session) as tx:
        taken = tx.execute(update(EvaluationClaim).where(EvaluationClaim.name == CLAIM, EvaluationClaim.tick < tick)
                           .values(**values)).rowcount
    if taken:
        return True
    try:  # no row yet (a fresh database): the first insert wins, a racing one hits the primary key
        with write_transaction(db.session) as tx:
            if tx.get(EvaluationClaim, CLAIM) is not None:
                return False
            tx.execute(insert(EvaluationClaim).values(name=CLAIM, **values))
        return True
    except IntegrityError:
        return False


def fingerprint(rule_id: int, labels: registry.Labels) -> str:
    """Rule id + label set: what makes alerts "the same" (one active per fingerprint)."""
    raw = f"{rule_id}|" + "|".join(f"{k}={v}" for k, v in labels)
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def _past_samples(now: dt.datetime, windows: set[int]) -> dict[int, MetricSample | None]:
    """For each window, the newest sample at least that old (else the oldest there is)."""
    out: dict[int, MetricSample | None] = {}
    oldest = db.session.execute(select(MetricSample).order_by(MetricSample.taken_at).limit(1)).scalar()
    for window in windows:
        before = now - dt.timedelta(seconds=window)
        found = db.session.execute(select(MetricSample).where(MetricSample.taken_at <= before)
                                   .order_by(MetricSample.taken_at.desc()).limit(1)).scalar()
        out[window] = found or oldest
    return out


def readings(app: Flask, now: dt.datetime, windows: set[int], counters: dict[str, Any] | None = None
             ) -> dict[int, registry.Reading]:
    """A Reading per window over the counters now (collected unless given) and the stored samples."""
    counters = registry.collect(app) if counters is None else counters
    shared: dict[str, Any] = {}
    out = {}
    for window, sample in _past_samples(now, windows).items():
        reading = registry.Reading(app, now, window, counters, sample.counters if sample else None,
                                   sample.taken_at if sample else None)
        reading.cache = shared
        out[window] = reading
    return out


def _values(app: Flask, now: dt.datetime, rules: list[AlertRule], counters: dict[str, Any]
            ) -> dict[int, dict[registry.Labels, float]]:
    """Every rule's series now; a source that fails leaves its rules without data (nothing changes)."""
    by_window = readings(app, now, {r.window_seconds for r in rules}, counters)
    values = {}
    for rule in rules:
        try:
            series = registry.read(by_window[rule.window_seconds], rule.metric, rule.labels or {})
            values[rule.id] = {k: v for k, v in series.items() if math.isfinite(v)}
        except KeyError:
            log.warning("monitoring: rule %s reads unknown metric %s", rule.id, rule.metric)
        except Exception as exc:  # one broken source: its rules skip this tick, the others go on
            log.warning("monitoring: metric %s failed for rule %s: %s", rule.metric, rule.id, exc)
    db.session.commit()  # end the read snapshot before the write transaction
    return values


def _advance(tx: Any, rule: AlertRule, series: dict[registry.Labels, float], active: dict[str, Alert],
             now: dt.datetime, resolved: list[Alert]) -> None:
    """Open, fire, update or resolve the alerts of one rule from its current series."""
    for labels, value in series.items():
        fp = fingerprint(rule.id, labels)
        alert = active.get(fp)
        breached = COMPARE[rule.comparison](value, rule.threshold)
        if not breached:
            if alert is not None:
                alert.status, alert.resolved_at, alert.value, alert.updated_at = "resolved", now, value, now
                resolved.append(alert)
            continue
        if alert is None:
            alert = _reopen(tx, fp, rule, now) or _open(tx, rule, fp, labels, value, now)
            if alert is None:
                continue
        alert.value, alert.updated_at = value, now
        if alert.status == AlertStatus.PENDING and (now - alert.started_at).total_seconds() >= rule.for_seconds:
            alert.status, alert.fired_at = AlertStatus.FIRING.value, now


def _reopen(tx: Any, fp: str, rule: AlertRule, now: dt.datetime) -> Alert | None:
    """Within the cooldown after a resolve, the same alert comes back (no second notification)."""
    since = now - dt.timedelta(seconds=rule.cooldown_seconds)
    last = tx.execute(select(Alert).where(Alert.fingerprint == fp).order_by(Alert.id.desc()).limit(1)).scalar()
    if last is None or last.status != "resolved" or last.resolved_at is None or last.resolved_at < since:
        return None
    last.status = AlertStatus.FIRING.value if last.fired_at else AlertStatus.PENDING.value
    last.resolved_at = None
    return last


def _open(tx: Any, rule: AlertRule, fp: str, labels: registry.Labels, value: float, now: dt.datetime) -> Alert | None:
    alert = Alert(rule_id=rule.id, rule_name=rule.name, metric=rule.metric, fingerprint=fp, labels=dict(labels),
                  group_key=rule.group or rule.metric, severity=rule.severity, status=AlertStatus.PENDING.value,
                  value=value, threshold=rule.threshold, level=-1, started_at=now, updated_at=now)
    try:
        with tx.begin_nested():  # a racing evaluator's open alert: skip, it is the same episode
            tx.add(alert)
            tx.flush()
    except IntegrityError:
        return None
    return alert


def evaluate_tick(app: Flask, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """Claim and run the tick `now` falls in; None when another evaluator has it. Returns a summary."""
    now = now or utcnow()
    tick = math.floor(now.replace(tzinfo=dt.UTC).timestamp() / interval(app))
    if not claim(tick, now):
        return None
    rules = list(db.session.execute(select(AlertRule).order_by(AlertRule.id)).scalars())
    for rule in rules:  # detached, so the commits below do not expire them (a refresh SELECT per rule)
        db.session.expunge(rule)
    counters = registry.collect(app)
    values = _values(app, now, rules, counters) if rules else {}
    resolved: list[Alert] = []
    with write_transaction(db.session) as tx:
        tx.add(MetricSample(taken_at=now, counters=counters))
        keep = min(MAX_WINDOW, max([r.window_seconds for r in rules] or [0]) + 4 * interval(app))
        tx.execute(delete(MetricSample).where(MetricSample.taken_at < now - dt.timedelta(seconds=keep)))
        active = {a.fingerprint: a for a in tx.execute(select(Alert).where(Alert.status.in_(ACTIVE))).scalars()}
        for rule in rules:
            if rule.id in values:
                _advance(tx, rule, values[rule.id], active, now, resolved)
        tx.flush()
        due = notify.plan(tx, app, now, resolved)
    sent = notify.deliver(app, due, now)
    return {"tick": tick, "rules": len(rules), "active": sum(a.status in ACTIVE for a in active.values()),
            "deliveries": sent}
