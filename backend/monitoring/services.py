"""Rules, alerts, silences and the metrics view: the rules of the monitoring API (admin only, routes check)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from backend.common.actor import Actor
from backend.common.models import utcnow
from backend.common.pagination import cursor_id, decode_cursor, encode_cursor, envelope
from backend.database import write_transaction
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.extensions import db
from backend.monitoring import evaluate, registry
from backend.monitoring.models import ACTIVE, Alert, AlertRule, Silence

RULE_FIELDS = ("name", "metric", "labels", "comparison", "threshold", "window_seconds", "for_seconds", "severity",
               "channels", "escalate_after_seconds", "cooldown_seconds", "group")
RECENT = 20


def rule_out(rule: AlertRule) -> dict[str, Any]:
    """A rule as the API shows it."""
    return {**{f: getattr(rule, f) for f in RULE_FIELDS}, "id": rule.id, "created_at": rule.created_at}


def alert_out(a: Alert) -> dict[str, Any]:
    """An alert as the API shows it."""
    return {"id": a.id, "rule_id": a.rule_id, "rule_name": a.rule_name, "metric": a.metric, "labels": a.labels or {},
            "group": a.group_key, "severity": a.severity, "status": a.status, "value": a.value,
            "threshold": a.threshold, "silenced": a.silenced, "level": a.level, "started_at": a.started_at,
            "fired_at": a.fired_at, "notified_at": a.notified_at, "acknowledged_at": a.acknowledged_at,
            "acknowledged_by": a.acknowledged_by, "resolved_at": a.resolved_at}


def _page(model: Any, filters: list[Any], per_page: int, cursor: str | None, sort: str, render: Any) -> dict:
    """Newest first by id, keyset cursor: one count, one page query."""
    query = select(model).where(*filters)
    total = db.session.execute(select(func.count()).select_from(model).where(*filters)).scalar_one()
    if cursor:
        (before,) = decode_cursor(cursor, sort, [cursor_id])
        query = query.where(model.id < before)
    rows = list(db.session.execute(query.order_by(model.id.desc()).limit(per_page + 1)).scalars())
    more = len(rows) > per_page
    rows = rows[:per_page]
    next_cursor = encode_cursor(sort, [rows[-1].id]) if more and rows else None
    return envelope([render(r) for r in rows], None, per_page, total, next_cursor)


def create_rule(actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """Store a rule (a taken name is a 409)."""
    try:
        with write_transaction(db.session) as tx:
            rule = AlertRule(**values, created_by=actor.id)
            tx.add(rule)
            tx.flush()
            out = rule_out(rule)
    except IntegrityError:
        raise Conflict("a rule with this name exists", {"name": values["name"]}, code="rule_exists") from None
    return out


def set_threshold(actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """Create or replace the rule `threshold:<metric>[labels]` with these values."""
    labels = values.get("labels") or {}
    name = f"threshold:{values['metric']}" + "".join(f"[{k}={v}]" for k, v in sorted(labels.items()))
    fields = {**values, "name": name[:120], "for_seconds": 0}
    with write_transaction(db.session) as tx:
        rule = tx.execute(select(AlertRule).where(AlertRule.name == fields["name"])).scalar()
        if rule is None:
            rule = AlertRule(**fields, created_by=actor.id)
            tx.add(rule)
        else:
            for key, value in fields.items():
                setattr(rule, key, value)
        tx.flush()
        return rule_out(rule)


def list_rules(per_page: int, cursor: str | None) -> dict[str, Any]:
    """Rules, newest first."""
    return _page(AlertRule, [], per_page, cursor, "rules", rule_out)


def get_rule(rule_id: int) -> dict[str, Any]:
    """One rule (404 when absent)."""
    rule = db.session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFound("no such rule", {"rule_id": rule_id})
    return rule_out(rule)


def delete_rule(rule_id: int) -> None:
    """Delete a rule; its active alerts are resolved (their history stays, without the rule)."""
    now = utcnow()
    with write_transaction(db.session) as tx:
        rule = tx.get(AlertRule, rule_id)
        if rule is None:
            raise NotFound("no such rule", {"rule_id": rule_id})
        tx.execute(update(Alert).where(Alert.rule_id == rule_id, Alert.status.in_(ACTIVE))
                   .values(status="resolved", resolved_at=now, updated_at=now))
        tx.delete(rule)


def alerts_now() -> dict[str, Any]:
    """Active alerts (worst first) and the latest resolved ones."""
    active = db.session.execute(select(Alert).where(Alert.status.in_(ACTIVE)).order_by(Alert.id.desc())).scalars()
    order = {"critical": 0, "warning": 1, "info": 2}
    items = sorted((alert_out(a) for a in active), key=lambda a: (order[a["severity"]], -a["id"]))
    recent = db.session.execute(select(Alert).where(Alert.status == "resolved").order_by(Alert.id.desc())
                                .limit(RECENT)).scalars()
    return {"active": items, "recent": [alert_out(a) for a in recent]}


def history(status: str | None, rule_id: int | None, per_page: int, cursor: str | None) -> dict[str, Any]:
    """Every alert, newest first, optionally by status or rule."""
    filters = [Alert.status == status] if status else []
    if rule_id:
        filters.append(Alert.rule_id == rule_id)
    return _page(Alert, filters, per_page, cursor, "alerts", alert_out)


def acknowledge(actor: Actor, alert_id: int) -> dict[str, Any]:
    """Acknowledge an active alert: it stops escalating (acknowledging twice answers the same; resolved: 409)."""
    with write_transaction(db.session) as tx:
        alert = tx.get(Alert, alert_id)
        if alert is None:
            raise NotFound("no such alert", {"alert_id": alert_id})
        if alert.status == "resolved":
            raise Conflict("the alert is resolved", {"alert_id": alert_id}, code="alert_resolved")
        if alert.status != "acknowledged":
            now = utcnow()
            alert.status, alert.acknowledged_at, alert.acknowledged_by, alert.updated_at = \
                "acknowledged", now, actor.id, now
        tx.flush()
        return alert_out(alert)


def silence_out(s: Silence, now: dt.datetime) -> dict[str, Any]:
    """A silence as the API shows it."""
    return {"id": s.id, "rule_id": s.rule_id, "metric": s.metric, "severity": s.severity, "reason": s.reason,
            "starts_at": s.starts_at, "ends_at": s.ends_at, "active": s.starts_at <= now < s.ends_at,
            "created_by": s.created_by}


def _naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def create_silence(actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """A maintenance window from starts_at (default now) to ends_at or for duration_seconds (at most 30 days)."""
    now = utcnow()
    starts = _naive_utc(values.get("starts_at")) or now
    ends = _naive_utc(values.get("ends_at"))
    if values.get("duration_seconds"):
        ends = starts + dt.timedelta(seconds=values["duration_seconds"])
    if ends is None or ends <= starts or ends - starts > dt.timedelta(days=30) or ends.year > 9000:
        raise ValidationFailed("request body is invalid", {"location": "body", "fields": {
            "ends_at": "give ends_at after starts_at (at most 30 days) or duration_seconds"}})
    if values.get("rule_id") and db.session.get(AlertRule, values["rule_id"]) is None:
        raise NotFound("no such rule", {"rule_id": values["rule_id"]})
    with write_transaction(db.session) as tx:
        silence = Silence(rule_id=values.get("rule_id"), metric=values.get("metric"), severity=values.get("severity"),
                          reason=values.get("reason") or "", starts_at=starts, ends_at=ends, created_by=actor.id)
        tx.add(silence)
        tx.flush()
        return silence_out(silence, now)


def list_silences() -> dict[str, Any]:
    """Silences that have not ended, soonest end first."""
    now = utcnow()
    rows = list(db.session.execute(select(Silence).where(Silence.ends_at > now).order_by(Silence.ends_at)
                                   .limit(200)).scalars())
    return envelope([silence_out(s, now) for s in rows], None, 200, len(rows), None)


def delete_silence(silence_id: int) -> None:
    """End a silence now (delete it)."""
    with write_transaction(db.session) as tx:
        silence = tx.get(Silence, silence_id)
        if silence is None:
            raise NotFound("no such silence", {"silence_id": silence_id})
        tx.delete(silence)


def metrics_now(window: int, per_endpoint: bool) -> dict[str, Any]:
    """Every metric source's series now over `window` (the past side is the evaluator's sample)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    now = utcnow()
    reading = evaluate.readings(app, now, {window})[window]
    items = []
    for name in registry.known():
        source = registry.SOURCES[name]
        labels = {"endpoint": "*"} if per_endpoint and "endpoint" in source.labels else {}
        try:
            series = registry.read(reading, name, labels)
        except Exception as exc:  # one failing source is shown empty, the page still answers
            current_app.logger.warning("monitoring: metric %s unavailable: %s", name, exc)
            series = {}
        items.append({"name": name, "description": source.description, "unit": source.unit,
                      "labels": list(source.labels), "windowed": source.windowed,
                      "series": [{"labels": dict(k), "value": v} for k, v in sorted(series.items())]})
    db.session.commit()
    return {"window_seconds": window, "sampled_at": reading.past_at, "items": items}
