"""Request and response schemas of the monitoring API (alert rules, alerts, silences, incidents, metrics)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field, field_validator

from backend.common.pagination import MAX_PER_PAGE
from backend.common.validation import BodySchema, DbInt, QuerySchema
from backend.monitoring import registry
from backend.monitoring.channels import valid_channel
from backend.monitoring.models import AlertStatus, Comparison, Severity

DAY = 86400
Labels = dict[str, str]


def check_metric(value: str) -> str:
    """A known metric name (the error lists the known ones)."""
    if value not in registry.SOURCES:
        raise ValueError(f"unknown metric {value[:64]!r}; known: {', '.join(registry.known())}")
    return value


def check_labels(value: Labels) -> Labels:
    """At most 4 labels, short keys and values."""
    if len(value) > 4 or any(not (0 < len(k) <= 32) or len(v) > 200 for k, v in value.items()):
        raise ValueError("at most 4 labels, keys of 1-32 and values of at most 200 characters")
    return value


def check_channels(value: list[str]) -> list[str]:
    """Known channel names (slack, webhook, email, email:<address>)."""
    bad = [c for c in value if not valid_channel(c) or len(c) > 200]
    if bad:
        raise ValueError(f"unknown channel(s) {bad[:3]}; use slack, webhook, email or email:<address>")
    return value


class RuleIn(BodySchema):
    """An alert rule: metric (and labels) compared with a threshold over a window, held for `for_seconds`."""

    name: str = Field(min_length=1, max_length=120)
    metric: str = Field(max_length=64, description="one of GET /admin/monitoring/metrics")
    labels: Labels = Field(default_factory=dict, description='selects series, e.g. {"endpoint": "*"} for each one')
    comparison: Comparison = Comparison.GT
    threshold: float
    window_seconds: int = Field(300, ge=10, le=DAY)
    for_seconds: int = Field(0, ge=0, le=DAY, description="the condition must hold this long before it fires")
    severity: Severity = Severity.WARNING
    channels: list[str] = Field(default_factory=list, max_length=5,
                                description="escalation order; empty: MONITORING_DEFAULT_CHANNELS")
    escalate_after_seconds: int | None = Field(None, ge=0, le=DAY, description="null: MONITORING_ESCALATE_SECONDS")
    cooldown_seconds: int = Field(300, ge=0, le=DAY)
    group: str | None = Field(None, max_length=64)

    _metric = field_validator("metric")(classmethod(lambda cls, v: check_metric(v)))
    _labels = field_validator("labels")(classmethod(lambda cls, v: check_labels(v)))
    _channels = field_validator("channels")(classmethod(lambda cls, v: check_channels(v)))


class ThresholdIn(BodySchema):
    """A simple threshold: creates or replaces the rule `threshold:<metric>` (plus its labels)."""

    metric: str = Field(max_length=64)
    threshold: float
    comparison: Comparison = Comparison.GT
    labels: Labels = Field(default_factory=dict)
    severity: Severity = Severity.WARNING
    window_seconds: int = Field(300, ge=10, le=DAY)
    channels: list[str] = Field(default_factory=list, max_length=5)

    _metric = field_validator("metric")(classmethod(lambda cls, v: check_metric(v)))
    _labels = field_validator("labels")(classmethod(lambda cls, v: check_labels(v)))
    _channels = field_validator("channels")(classmethod(lambda cls, v: check_channels(v)))


class RuleOut(BaseModel):
    """A stored rule."""

    id: int
    name: str
    metric: str
    labels: Labels
    comparison: Comparison
    threshold: float
    window_seconds: int
    for_seconds: int
    severity: Severity
    channels: list[str]
    escalate_after_seconds: int | None
    cooldown_seconds: int
    group: str | None
    created_at: dt.datetime


class Page(QuerySchema):
    """Cursor pages, newest first."""

    per_page: int = Field(20, ge=1, le=MAX_PER_PAGE)
    cursor: str | None = Field(None, max_length=512)


class RulePage(BaseModel):
    """The list envelope of rules."""

    items: list[RuleOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None


class AlertOut(BaseModel):
    """An alert: one episode of a rule's condition for one label set."""

    id: int
    rule_id: int | None
    rule_name: str
    metric: str
    labels: Labels
    group: str
    severity: Severity
    status: AlertStatus
    value: float
    threshold: float
    silenced: bool
    level: int = Field(description="index of the last channel notified (-1: none yet)")
    started_at: dt.datetime
    fired_at: dt.datetime | None
    notified_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    acknowledged_by: int | None
    resolved_at: dt.datetime | None


class AlertPage(BaseModel):
    """The list envelope of alerts."""

    items: list[AlertOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None


class HistoryQuery(Page):
    """Alert history filters."""

    status: AlertStatus | None = None
    rule_id: DbInt | None = None


class AlertsNow(BaseModel):
    """Active alerts (pending, firing, acknowledged) and the most recently resolved ones."""

    active: list[AlertOut]
    recent: list[AlertOut]


class SilenceIn(BodySchema):
    """A maintenance window; every matcher given must match (none given: everything is silenced)."""

    rule_id: DbInt | None = None
    metric: str | None = Field(None, max_length=64)
    severity: Severity | None = None
    reason: str = Field("", max_length=300)
    starts_at: dt.datetime | None = Field(None, description="default now (UTC)")
    ends_at: dt.datetime | None = None
    duration_seconds: int | None = Field(None, ge=60, le=30 * DAY, description="instead of ends_at")


class SilenceOut(BaseModel):
    """A stored silence."""

    id: int
    rule_id: int | None
    metric: str | None
    severity: Severity | None
    reason: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    active: bool
    created_by: int | None


class SilenceList(BaseModel):
    """Silences not yet ended (the list envelope)."""

    items: list[SilenceOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None


class SeriesOut(BaseModel):
    """One series of a metric."""

    labels: Labels
    value: float


class MetricOut(BaseModel):
    """A metric source and its current series."""

    name: str
    description: str
    unit: str
    labels: list[str]
    windowed: bool
    series: list[SeriesOut]


class MetricsQuery(QuerySchema):
    """Window for the windowed metrics; `per_endpoint` expands the http.* metrics per endpoint."""

    window_seconds: int = Field(300, ge=10, le=DAY)
    per_endpoint: bool = False


class MetricsOut(BaseModel):
    """Every known metric with its value now."""

    window_seconds: int
    sampled_at: dt.datetime | None = Field(description="the evaluation sample the window starts at")
    items: list[MetricOut]


class EvaluateOut(BaseModel):
    """What one evaluation did (null tick: another evaluator had it)."""

    tick: int | None
    rules: int
    active: int
    deliveries: int
