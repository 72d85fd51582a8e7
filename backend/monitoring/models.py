"""Alert rules, alerts (one active per rule + labels), deliveries, silences, incidents, the evaluation claim.

"One active alert per rule and label set" is the database's job, not the evaluator's: a partial
unique index on `fingerprint` over the active statuses, so two evaluators that race on the same
series cannot both open an alert (the loser's insert fails and it moves on). Metric samples are
the counters an evaluation saw, so a rate over a window compares two rows wherever each was taken.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.models import created_at_column, one_of
from backend.extensions import db
from backend.jobs.models import JsonColumn


class Comparison(StrEnum):
    """How a value is compared with a rule's threshold."""

    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"
    EQ = "eq"
    NE = "ne"


class Severity(StrEnum):
    """How bad it is (also the order incidents and alerts sort by)."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertStatus(StrEnum):
    """pending: condition true, `for` not yet elapsed; firing: notified; acknowledged; resolved."""

    PENDING = "pending"
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class IncidentStatus(StrEnum):
    """An incident's life."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


ACTIVE = ("pending", "firing", "acknowledged")
ACTIVE_SQL = "status IN ('pending', 'firing', 'acknowledged')"


class AlertRule(db.Model):
    """A condition on a metric and where to say so (channels in escalation order)."""

    __tablename__ = "monitoring_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    metric: Mapped[str] = mapped_column(String(64), nullable=False)
    labels: Mapped[Any] = mapped_column(JsonColumn, nullable=False, default=dict)
    comparison: Mapped[str] = mapped_column(String(2), nullable=False)
    threshold: Mapped[float] = mapped_column(Float, nullable=False)
    window_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    for_seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    severity: Mapped[str] = mapped_column(String(8), nullable=False)
    channels: Mapped[Any] = mapped_column(JsonColumn, nullable=False, default=list)
    escalate_after_seconds: Mapped[int | None] = mapped_column(Integer)  # None: the configured default
    cooldown_seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=300)
    group: Mapped[str | None] = mapped_column(String(64))  # alerts of one group go out in one message
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint(one_of("comparison", Comparison), name="comparison_valid"),
        CheckConstraint(one_of("severity", Severity), name="severity_valid"),
        Index("uq_monitoring_rules_name", "name", unique=True),
    )


class Alert(db.Model):
    """One episode of a rule's condition holding for one label set."""

    __tablename__ = "monitoring_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_rules.id", ondelete="SET NULL"))
    rule_name: Mapped[str] = mapped_column(String(120), nullable=False)  # kept when the rule is deleted
    metric: Mapped[str] = mapped_column(String(64), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)  # rule id + labels
    labels: Mapped[Any] = mapped_column(JsonColumn, nullable=False, default=dict)
    group_key: Mapped[str] = mapped_column(String(64), nullable=False)
    severity: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    threshold: Mapped[float] = mapped_column(Float, nullable=False)
    silenced: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    level: Mapped[int] = mapped_column(Integer, nullable=False, default=-1)  # channel index notified last
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    fired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    notified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint(one_of("status", AlertStatus), name="status_valid"),
        Index("uq_monitoring_alerts_active", "fingerprint", unique=True, sqlite_where=text(ACTIVE_SQL),
              postgresql_where=text(ACTIVE_SQL)),
        Index("ix_monitoring_alerts_status_id", "status", "id"),
        Index("ix_monitoring_alerts_fingerprint_id", "fingerprint", "id"),
        Index("ix_monitoring_alerts_rule_id", "rule_id"),
    )


class Delivery(db.Model):
    """One message to one channel about one or more alerts (a grouped message has one row per alert)."""

    __tablename__ = "monitoring_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("monitoring_alerts.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[str] = mapped_column(String(200), nullable=False)
    level: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)  # firing | escalation | resolved
    status: Mapped[str] = mapped_column(String(8), nullable=False)  # sent | failed | skipped
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (Index("ix_monitoring_deliveries_alert_id", "alert_id", "id"),)


class Silence(db.Model):
    """A maintenance window: alerts matching it are kept but not sent until it ends."""

    __tablename__ = "monitoring_silences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_rules.id", ondelete="CASCADE"))
    metric: Mapped[str | None] = mapped_column(String(64))
    severity: Mapped[str | None] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (Index("ix_monitoring_silences_ends_at", "ends_at"),)


class Incident(db.Model):
    """Something people are working on, with the alerts that belong to it."""

    __tablename__ = "monitoring_incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    severity: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=IncidentStatus.OPEN.value)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = created_at_column()
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint(one_of("severity", Severity), name="severity_valid"),
        CheckConstraint(one_of("status", IncidentStatus), name="status_valid"),
        Index("ix_monitoring_incidents_status_id", "status", "id"),
    )


class IncidentAlert(db.Model):
    """An alert linked to an incident."""

    __tablename__ = "monitoring_incident_alerts"

    incident_id: Mapped[int] = mapped_column(ForeignKey("monitoring_incidents.id", ondelete="CASCADE"),
                                             primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("monitoring_alerts.id", ondelete="CASCADE"), primary_key=True)


class IncidentEvent(db.Model):
    """The timeline: created, status changes, notes, linked alerts."""

    __tablename__ = "monitoring_incident_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("monitoring_incidents.id", ondelete="CASCADE"),
                                             nullable=False)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    data: Mapped[Any] = mapped_column(JsonColumn, nullable=False, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (Index("ix_monitoring_incident_events_incident_id", "incident_id", "id"),)


class EvaluationClaim(db.Model):
    """One row per evaluator: the last tick claimed. An atomic UPDATE ... WHERE tick < :t claims the next."""

    __tablename__ = "monitoring_claims"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    tick: Mapped[int] = mapped_column(BigInteger, nullable=False)
    holder: Mapped[str] = mapped_column(String(80), nullable=False)
    claimed_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)


class MetricSample(db.Model):
    """The cumulative counters one evaluation read (rates over a window are differences of two rows)."""

    __tablename__ = "monitoring_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    taken_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    counters: Mapped[Any] = mapped_column(JsonColumn, nullable=False)

    __table_args__ = (Index("ix_monitoring_samples_taken_at", "taken_at"),)
