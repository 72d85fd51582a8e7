"""The metric sources that exist today: endpoint traffic, errors and latency, the pool, jobs, providers, health.

Counters (cumulative, sampled with each evaluation): the in-app insight's per-endpoint request
counts and pool waits (every worker of the host merged), and the recorder's status classes,
latency histograms and view-cache results. Gauges are read when asked: the jobs table, the
integrations' breakers and last calls, the health checks (each under its own timeout).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from backend.extensions import db
from backend.monitoring import recorder as rec
from backend.monitoring.registry import Labels, Reading, counter_collector, metric_source

Series = dict[Labels, float | None]


@counter_collector("insight")
def insight_counters(app: Flask) -> dict[str, Any]:
    """Requests per endpoint (L1 hits included) and pool checkouts/waits, every worker of the host."""
    from backend.observability.insight import get_insight

    merged = get_insight(app).merged()
    checked_out = sum((w.get("pool") or {}).get("checked_out") or 0 for w in merged.get("workers", []))
    size = sum((w.get("pool") or {}).get("size") or 0 for w in merged.get("workers", []))
    return {"endpoints": {name: ep["requests"] for name, ep in merged["endpoints"].items()},
            "pool": merged["pool"], "checked_out": checked_out, "size": size}


@counter_collector("requests")
def request_counters(app: Flask) -> dict[str, Any]:
    """The recorder's rows (status classes, histogram, view cache) per endpoint."""
    return rec.get_recorder(app).merged()


def _delta(now: float, before: float) -> float:
    """A counter's increase; a restart (counter went down) counts from zero, as Prometheus' rate() does."""
    return now - before if now >= before else now


def _row_delta(reading: Reading, endpoints: Iterable[str]) -> list[int]:
    current, past = reading.part("requests"), reading.part("requests", past=True)
    total = [0] * rec.ROW
    for name in endpoints:
        now_row = current.get(name) or [0] * rec.ROW
        old_row = past.get(name) or [0] * rec.ROW
        reset = any(a < b for a, b in zip(now_row, old_row, strict=False))
        for i in range(rec.ROW):
            total[i] += now_row[i] if reset else now_row[i] - old_row[i]
    return total


def _per_endpoint(reading: Reading, labels: dict[str, str], names: Iterable[str],
                  value: Callable[[list[str]], float | None]) -> Series:
    """No `endpoint` label: overall; `endpoint=*`: one series per endpoint; else that endpoint."""
    wanted = labels.get("endpoint")
    if wanted is None:
        return {(): value(list(names))}
    if wanted == "*":
        return {(("endpoint", name),): value([name]) for name in sorted(names)}
    return {(("endpoint", wanted),): value([wanted])}


def _windowed(reading: Reading) -> bool:
    return reading.past is not None and reading.elapsed > 0


@metric_source("http.request_rate", unit="requests/s", labels=("endpoint",),
               description="Requests per second over the window (cache hits before Flask included)")
def request_rate(reading: Reading, labels: dict[str, str]) -> Series:
    """Insight request counts: (now - a window ago) / elapsed."""
    current, past = reading.part("insight").get("endpoints", {}), reading.part("insight", True).get("endpoints", {})

    def value(names: list[str]) -> float | None:
        if not _windowed(reading):
            return None
        return round(sum(_delta(current.get(n, 0), past.get(n, 0)) for n in names) / reading.elapsed, 4)

    return _per_endpoint(reading, labels, current, value)


def _from_rows(reading: Reading, labels: dict[str, str], fn: Callable[[list[int]], float | None]) -> Series:
    names = reading.part("requests")

    def value(endpoints: list[str]) -> float | None:
        return fn(_row_delta(reading, endpoints)) if _windowed(reading) else None

    return _per_endpoint(reading, labels, names, value)


@metric_source("http.error_rate", unit="ratio", labels=("endpoint",),
               description="Share of requests answered 5xx over the window (none: no requests)")
def error_rate(reading: Reading, labels: dict[str, str]) -> Series:
    """5xx / requests seen by Flask in the window."""
    return _from_rows(reading, labels, lambda r: round(r[rec.S5] / r[rec.REQ], 4) if r[rec.REQ] else None)


@metric_source("http.client_error_rate", unit="ratio", labels=("endpoint",),
               description="Share of requests answered 4xx over the window")
def client_error_rate(reading: Reading, labels: dict[str, str]) -> Series:
    """4xx / requests seen by Flask in the window."""
    return _from_rows(reading, labels, lambda r: round(r[rec.S4] / r[rec.REQ], 4) if r[rec.REQ] else None)


def _latency(q: float) -> Callable[[Reading, dict[str, str]], Series]:
    def read(reading: Reading, labels: dict[str, str]) -> Series:
        return _from_rows(reading, labels, lambda r: rec.quantile(r[rec.HIST:], q))

    return read


for _q in (50, 95, 99):
    metric_source(f"http.p{_q}_latency_ms", unit="ms", labels=("endpoint",),
                  description=f"p{_q} request latency over the window (Flask-served requests)")(_latency(_q / 100))


@metric_source("cache.view_hit_rate", unit="ratio", labels=("endpoint",),
               description="View-cache hits / (hits + misses) over the window")
def view_hit_rate(reading: Reading, labels: dict[str, str]) -> Series:
    """From the view cache's per-request state."""
    return _from_rows(reading, labels, lambda r: round(r[rec.HIT] / (r[rec.HIT] + r[rec.MISS]), 4)
                      if r[rec.HIT] + r[rec.MISS] else None)


def _pool(reading: Reading, key: str) -> float | None:
    if not _windowed(reading):
        return None
    return _delta(reading.part("insight").get("pool", {}).get(key, 0),
                  reading.part("insight", True).get("pool", {}).get(key, 0))


@metric_source("db.pool_waits", unit="count", description="Pool checkouts that had to wait, in the window")
def pool_waits(reading: Reading, labels: dict[str, str]) -> Series:
    """Insight pool waits delta."""
    return {(): _pool(reading, "waits")}


@metric_source("db.pool_timeouts", unit="count", description="Pool checkouts that timed out, in the window")
def pool_timeouts(reading: Reading, labels: dict[str, str]) -> Series:
    """Insight pool timeouts delta."""
    return {(): _pool(reading, "timeouts")}


@metric_source("db.pool_wait_ms_avg", unit="ms", description="Average wait of the checkouts that waited")
def pool_wait_avg(reading: Reading, labels: dict[str, str]) -> Series:
    """wait_ms delta / waits delta."""
    waits, total = _pool(reading, "waits"), _pool(reading, "wait_ms")
    return {(): round(total / waits, 2) if waits else (0.0 if waits == 0 else None)}


@metric_source("db.pool_checked_out", unit="connections", windowed=False,
               description="Connections checked out now, summed over the host's workers")
def pool_checked_out(reading: Reading, labels: dict[str, str]) -> Series:
    """From each worker's last snapshot."""
    return {(): float(reading.part("insight").get("checked_out", 0))}


def _since(reading: Reading) -> dt.datetime:
    return reading.now - dt.timedelta(seconds=reading.window)


@metric_source("jobs.failed", unit="count", description="Jobs that failed (final) within the window")
def jobs_failed(reading: Reading, labels: dict[str, str]) -> Series:
    """One COUNT over the jobs table."""
    from backend.jobs.models import Job

    query = select(func.count()).select_from(Job).where(Job.status == "failed", Job.finished_at >= _since(reading))
    if labels.get("kind"):
        query = query.where(Job.kind == labels["kind"])
    key = (("kind", labels["kind"]),) if labels.get("kind") else ()
    return {key: float(db.session.execute(query).scalar_one())}


@metric_source("jobs.queue_depth", unit="jobs", windowed=False, description="Jobs queued and not yet running")
def queue_depth(reading: Reading, labels: dict[str, str]) -> Series:
    """One COUNT over the jobs table (ix_jobs_status_created)."""
    from backend.jobs.models import Job

    return {(): float(db.session.execute(select(func.count()).select_from(Job).where(Job.status == "queued"))
                      .scalar_one())}


def _clients(reading: Reading, labels: dict[str, str]) -> dict[str, Any]:
    from backend.integrations.extension import Integrations

    state = Integrations.state(reading.app)
    names = [labels["provider"]] if labels.get("provider") else sorted(state.specs)
    return {name: state.client(name) for name in names if name in state.specs}


@metric_source("provider.breaker_open", unit="bool", labels=("provider",), windowed=False,
               description="1 while a provider's circuit breaker is open or half-open, else 0")
def breaker_open(reading: Reading, labels: dict[str, str]) -> Series:
    """Breaker state (shared through Redis when configured)."""
    return {(("provider", n),): 0.0 if c.breaker.current_state == "closed" else 1.0
            for n, c in _clients(reading, labels).items() if c.settings.configured}


@metric_source("provider.last_error", unit="bool", labels=("provider",), windowed=False,
               description="1 when this process's last call to a provider failed, else 0")
def provider_last_error(reading: Reading, labels: dict[str, str]) -> Series:
    """From the outbound client's last call (per process; none: no call yet)."""
    out: Series = {}
    for name, client in _clients(reading, labels).items():
        last = getattr(client, "last_call", None)
        if last is not None:
            out[(("provider", name),)] = 1.0 if last.get("error") else 0.0
    return out


HEALTH_VALUES = {"ok": 0.0, "skipped": 0.0, "degraded": 1.0}  # fail and timeout: 2


@metric_source("health.status", unit="0 ok / 1 degraded / 2 failing", labels=("check",), windowed=False,
               description="Each health check (database, redis, jobs, disk, memory), run under its timeout")
def health_status(reading: Reading, labels: dict[str, str]) -> Series:
    """backend.health.checks.run_checks over the detailed checks."""
    if "health" not in reading.cache:
        from backend.health.checks import DETAILED, run_checks

        reading.cache["health"] = run_checks(DETAILED, reading.app)
    results = reading.cache["health"]
    names = [labels["check"]] if labels.get("check") else sorted(results)
    return {(("check", n),): HEALTH_VALUES.get(results[n]["status"], 2.0) for n in names if n in results}
