"""The metric-source registry: `name -> reader`, what alert rules and the dashboard read values from.

A source is a function `read(reading, labels) -> {labels_tuple: value}` declared with
`@metric_source(...)`. `reading` carries the time, the rule's window and two readings of the
cumulative counters (now, and the evaluation sample taken about `window` seconds ago), so a
source can answer rates and windowed percentiles without keeping history of its own; gauges
(pool in use, queue depth, breaker state) ignore the window. A source returns one value per
series (label set); a rule's `labels` select series (`{"endpoint": "*"}` asks for every one).

Adding a source (e.g. a Prometheus value once issue 9 section 1 lands): in any module imported
by a domain package, write

    @metric_source("cache.hit_rate_l1", unit="ratio", labels=("endpoint",),
                   description="share of requests the L1 answered")
    def l1_hit_rate(reading, labels):
        return {(): 0.93}

and, if it needs a cumulative counter, add it to the counters through `@counter_collector`
(its values are sampled with every evaluation). Unknown names are a 422 listing these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

Labels = tuple[tuple[str, str], ...]
Reader = Callable[["Reading", dict[str, str]], dict[Labels, float]]
Collector = Callable[[Flask], dict[str, Any]]


@dataclass(frozen=True)
class MetricSource:
    """One metric name: how to read it and what it means."""

    name: str
    read: Reader
    description: str
    unit: str
    labels: tuple[str, ...] = ()
    windowed: bool = True


@dataclass
class Reading:
    """What a source reads from: counters now and about one window ago."""

    app: Flask
    now: dt.datetime
    window: int
    current: dict[str, Any]
    past: dict[str, Any] | None = None
    past_at: dt.datetime | None = None
    cache: dict[str, Any] = field(default_factory=dict)  # sources share expensive reads (health checks)

    @property
    def elapsed(self) -> float:
        """Seconds between the past reading and now (0 without a past reading)."""
        if self.past_at is None:
            return 0.0
        return max(0.0, (self.now - self.past_at).total_seconds())

    def part(self, name: str, past: bool = False) -> dict[str, Any]:
        """One collector's counters, now or in the past reading ({} when absent)."""
        source = self.past if past else self.current
        return (source or {}).get(name) or {}


SOURCES: dict[str, MetricSource] = {}
COLLECTORS: dict[str, Collector] = {}


def metric_source(name: str, *, description: str, unit: str, labels: tuple[str, ...] = (),
                  windowed: bool = True) -> Callable[[Reader], Reader]:
    """Declare `fn(reading, labels)` as the source of metric `name`."""

    def decorator(fn: Reader) -> Reader:
        SOURCES[name] = MetricSource(name, fn, description, unit, labels, windowed)
        return fn

    return decorator


def counter_collector(name: str) -> Callable[[Collector], Collector]:
    """Declare `fn(app) -> JSON-able counters` sampled with every evaluation under `name`."""

    def decorator(fn: Collector) -> Collector:
        COLLECTORS[name] = fn
        return fn

    return decorator


def known() -> list[str]:
    """Every metric name, sorted."""
    return sorted(SOURCES)


def collect(app: Flask) -> dict[str, Any]:
    """Every collector's counters now (a failing collector is left out, not fatal)."""
    out = {}
    for name, fn in COLLECTORS.items():
        try:
            out[name] = fn(app)
        except Exception as exc:  # one broken source must not stop every alert
            import logging

            logging.getLogger(__name__).warning("monitoring: counters %s unavailable: %s", name, exc)
    return out


def labels_key(labels: dict[str, str]) -> Labels:
    """A label dict as a sorted tuple (hashable, stable)."""
    return tuple(sorted((str(k), str(v)) for k, v in labels.items()))


def read(reading: Reading, metric: str, labels: dict[str, str]) -> dict[Labels, float]:
    """The series of `metric` selected by `labels` (KeyError for an unknown name)."""
    source = SOURCES[metric]
    return {key: float(value) for key, value in source.read(reading, labels).items() if value is not None}
