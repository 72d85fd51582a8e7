"""Which alerts are due a message this tick (first notice, escalation, resolved), and sending them grouped.

Escalation follows the rule's channel list: level 0 is the first channel; an alert still firing
(not acknowledged) `escalate_after_seconds` (MONITORING_ESCALATE_SECONDS by default) after its last
notice goes to the next channel. Each level is taken with a compare-and-set on the alert's `level`
inside the tick's transaction, so a level is sent at most once; a delivery that failed gives its
level back and the next tick retries it. Silenced alerts keep their state and are sent when the
silence ends, if still firing. Alerts due on one channel in one tick go out as one message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import insert, select, update

from backend.database import write_transaction
from backend.extensions import db
from backend.monitoring import channels as transports
from backend.monitoring.models import Alert, AlertRule, Delivery, Silence

log = logging.getLogger(__name__)


@dataclass
class Due:
    """One alert due on one channel."""

    channel: str
    kind: str  # firing | escalation | resolved
    alert: dict[str, Any]
    level: int
    previous_level: int
    previous_notified_at: dt.datetime | None


def alert_message(alert: Alert, rule: AlertRule | None) -> dict[str, Any]:
    """What a channel says about an alert."""
    return {"id": alert.id, "rule": alert.rule_name, "metric": alert.metric, "labels": alert.labels or {},
            "severity": alert.severity, "status": alert.status, "value": alert.value, "threshold": alert.threshold,
            "comparison": rule.comparison if rule else None, "group": alert.group_key,
            "started_at": alert.started_at.isoformat() + "Z"}


def silenced(alert: Alert, silences: list[Silence]) -> bool:
    """True when an active silence matches the alert (every matcher it sets must match)."""
    for s in silences:
        if (s.rule_id is None or s.rule_id == alert.rule_id) and (s.metric is None or s.metric == alert.metric) \
                and (s.severity is None or s.severity == alert.severity):
            return True
    return False


def channels_of(rule: AlertRule | None, app: Flask) -> list[str]:
    """A rule's channels, else MONITORING_DEFAULT_CHANNELS."""
    if rule is not None and rule.channels:
        return list(rule.channels)
    return [c.strip() for c in str(app.config.get("MONITORING_DEFAULT_CHANNELS") or "").split(",") if c.strip()]


def _take(tx: Any, alert: Alert, level: int, now: dt.datetime) -> bool:
    """Compare-and-set the alert's level: True when this tick owns sending `level`."""
    return tx.execute(update(Alert).where(Alert.id == alert.id, Alert.level == alert.level)
                      .values(level=level, notified_at=now)).rowcount == 1


def plan(tx: Any, app: Flask, now: dt.datetime, resolved: list[Alert]) -> list[Due]:
    """Inside the tick's transaction: the messages to send after it commits."""
    rules = {r.id: r for r in tx.execute(select(AlertRule)).scalars()}
    active_silences = list(tx.execute(select(Silence).where(Silence.starts_at <= now, Silence.ends_at > now))
                           .scalars())
    default_delay = float(app.config["MONITORING_ESCALATE_SECONDS"])
    due: list[Due] = []
    for alert in tx.execute(select(Alert).where(Alert.status == "firing").order_by(Alert.id)).scalars():
        rule = rules.get(alert.rule_id)
        chain = channels_of(rule, app)
        quiet = silenced(alert, active_silences)
        if alert.silenced != quiet:
            alert.silenced = quiet
        if quiet or not chain:
            continue
        delay = rule.escalate_after_seconds if rule and rule.escalate_after_seconds is not None else default_delay
        if alert.level < 0:
            target, kind = 0, "firing"
        elif delay > 0 and alert.level + 1 < len(chain) and alert.notified_at is not None \
                and (now - alert.notified_at).total_seconds() >= delay:
            target, kind = alert.level + 1, "escalation"
        else:
            continue
        previous = (alert.level, alert.notified_at)
        message = alert_message(alert, rule)
        if _take(tx, alert, target, now):
            due.append(Due(chain[target], kind, message, target, *previous))
    for alert in resolved:
        chain = channels_of(rules.get(alert.rule_id), app)
        if alert.level >= 0 and chain and not alert.silenced:
            due.append(Due(chain[0], "resolved", alert_message(alert, rules.get(alert.rule_id)), alert.level,
                           alert.level, alert.notified_at))
    return due


def deliver(app: Flask, due: list[Due], now: dt.datetime) -> int:
    """Send each channel's alerts as one message; record every delivery; give failed levels back."""
    groups: dict[tuple[str, str], list[Due]] = defaultdict(list)
    for item in due:
        groups[(item.channel, item.kind)].append(item)
    rows, give_back, sent = [], [], 0
    for (channel, kind), items in groups.items():
        status, error = transports.send(app, channel, kind, [i.alert for i in items])
        sent += status == "sent"
        for item in items:
            rows.append({"alert_id": item.alert["id"], "channel": channel, "level": item.level, "kind": kind,
                         "status": status, "error": (error or None) and error[:300], "created_at": now})
            if status == "failed" and kind != "resolved":
                give_back.append(item)
    if rows:
        with write_transaction(db.session) as tx:
            tx.execute(insert(Delivery), rows)
            for item in give_back:  # the next tick tries this level again
                tx.execute(update(Alert).where(Alert.id == item.alert["id"], Alert.level == item.level)
                           .values(level=item.previous_level, notified_at=item.previous_notified_at))
    return sent
