"""The metrics read back as figures: every process's multiprocess files merged, then summarised.

For the admin JSON views (backend/performance): per-endpoint latency percentiles (from the
histogram buckets, interpolated within the bucket as Prometheus' histogram_quantile does), request
counts by status class, throughput since the metrics began, error rates and the DB's share of the
time; cache layers; outbound providers; jobs; rate-limit refusals. Reading costs one pass over the
directory's files (a few ms for a host's processes), on the admin request only.
"""

from __future__ import annotations

import math
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

PERCENTILES = (0.5, 0.95, 0.99)


def samples(directory: str | os.PathLike) -> dict[str, list[tuple[str, dict[str, str], float]]]:
    """Every sample of every family in `directory`, merged across processes: {family: [(name, labels, value)]}."""
    from prometheus_client.multiprocess import MultiProcessCollector

    out: dict[str, list] = {}
    for family in MultiProcessCollector(None, str(directory)).collect():
        out[family.name] = [(s.name, dict(s.labels), float(s.value)) for s in family.samples]
    return out


def started_at(directory: str | os.PathLike) -> float | None:
    """When the metrics in `directory` began (multiproc's start marker), or None."""
    from backend.observability.multiproc import read_started

    return read_started(Path(directory))


def quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """The q-quantile from cumulative (upper bound, count) buckets, +Inf last; None without observations."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    total = buckets[-1][1]
    rank = q * total
    lower, below = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower  # past the last finite bound: the best we can say is "at least that"
            inside = count - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, count
    return lower


def _histograms(rows: list, keys: tuple[str, ...]) -> dict[tuple, dict[str, Any]]:
    """Histogram samples grouped by `keys` labels: buckets (sorted), sum and count."""
    out: dict[tuple, dict[str, Any]] = defaultdict(lambda: {"buckets": [], "sum": 0.0, "count": 0.0})
    for name, labels, value in rows:
        key = tuple(labels.get(k, "") for k in keys)
        if name.endswith("_bucket"):
            out[key]["buckets"].append((float(labels["le"]), value))
        elif name.endswith("_sum"):
            out[key]["sum"] = value
        elif name.endswith("_count"):
            out[key]["count"] = value
    for entry in out.values():
        entry["buckets"].sort()
    return out


def _counter(rows: list, keys: tuple[str, ...]) -> dict[tuple, float]:
    out: dict[tuple, float] = defaultdict(float)
    for name, labels, value in rows:
        if name.endswith("_total"):
            out[tuple(labels.get(k, "") for k in keys)] += value
    return out


def endpoints(data: dict, uptime: float) -> list[dict[str, Any]]:
    """Per (method, route): requests, throughput, percentiles, status classes, error rates, DB figures."""
    hist = _histograms(data.get("sf_http_request_duration_seconds", []), ("method", "route"))
    status = _counter(data.get("sf_http_requests", []), ("method", "route", "status"))
    statements = _counter(data.get("sf_db_statements", []), ("route",))
    db_seconds = _counter(data.get("sf_db_seconds", []), ("route",))
    per_route_requests: dict[str, float] = defaultdict(float)
    for (_method, route), h in hist.items():
        per_route_requests[route] += h["count"]
    rows = []
    for (method, route), h in hist.items():
        count = h["count"]
        if count <= 0:
            continue
        classes = {cls: int(status.get((method, route, cls), 0)) for cls in ("2xx", "3xx", "4xx", "5xx")}
        # DB figures are per route (all methods): attribute them by this method's share of the requests.
        share = count / per_route_requests[route] if per_route_requests[route] else 0.0
        db_s = db_seconds.get((route,), 0.0) * share
        row = {"method": method, "route": route, "requests": int(count),
               "throughput_rps": round(count / uptime, 3) if uptime > 0 else None,
               "mean_ms": round(h["sum"] / count * 1000, 3), "status": classes,
               "error_rate": round(classes["5xx"] / count, 4), "client_error_rate": round(classes["4xx"] / count, 4),
               "db_statements_per_request": round(statements.get((route,), 0.0) * share / count, 2),
               "db_ms_per_request": round(db_s / count * 1000, 3),
               "db_share": round(min(1.0, db_s / h["sum"]), 4) if h["sum"] > 0 else 0.0}
        for q in PERCENTILES:
            value = quantile(q, h["buckets"])
            row[f"p{int(q * 100)}_ms"] = round(value * 1000, 3) if value is not None else None
        rows.append(row)
    rows.sort(key=lambda r: r["mean_ms"] * r["requests"], reverse=True)
    return rows


def caches(data: dict) -> list[dict[str, Any]]:
    """Per cache layer: hits, misses, hit rate, 304s."""
    counts = _counter(data.get("sf_cache_requests", []), ("layer", "result"))
    not_modified = _counter(data.get("sf_http_not_modified", []), ("layer",))
    out = []
    for layer in sorted({layer for layer, _ in counts} | {layer for (layer,) in not_modified}):
        hits, misses = int(counts.get((layer, "hit"), 0)), int(counts.get((layer, "miss"), 0))
        out.append({"layer": layer, "hits": hits, "misses": misses,
                    "hit_rate": round(hits / (hits + misses), 4) if hits + misses else None,
                    "not_modified": int(not_modified.get(("view" if layer == "view" else layer,), 0))})
    return out


def providers(data: dict) -> list[dict[str, Any]]:
    """Per outbound provider: calls by outcome, error rate, retries, latency percentiles, breaker state."""
    outcomes = _counter(data.get("sf_outbound_requests", []), ("provider", "outcome"))
    retries = _counter(data.get("sf_outbound_retries", []), ("provider",))
    hist = _histograms(data.get("sf_outbound_duration_seconds", []), ("provider",))
    breaker = {labels.get("provider"): value for _n, labels, value in data.get("sf_outbound_breaker_state", [])}
    names = sorted({p for p, _ in outcomes} | set(breaker))
    out = []
    for name in names:
        by = {o: int(v) for (p, o), v in outcomes.items() if p == name}
        calls = sum(by.values())
        h = hist.get((name,), {"buckets": []})
        p95 = quantile(0.95, h["buckets"])
        state = {0: "closed", 1: "half-open", 2: "open"}.get(int(breaker.get(name, 0)), "open")
        out.append({"provider": name, "calls": calls, "outcomes": by,
                    "error_rate": round((calls - by.get("ok", 0)) / calls, 4) if calls else None,
                    "retries": int(retries.get((name,), 0)),
                    "p95_ms": round(p95 * 1000, 1) if p95 is not None else None, "breaker": state})
    return out


def jobs(data: dict) -> list[dict[str, Any]]:
    """Per job kind: attempts by outcome, mean and p95 duration."""
    counts = _counter(data.get("sf_jobs", []), ("kind", "outcome"))
    hist = _histograms(data.get("sf_job_duration_seconds", []), ("kind",))
    out = []
    for kind in sorted({k for k, _ in counts}):
        by = {o: int(v) for (k, o), v in counts.items() if k == kind}
        h = hist.get((kind,), {"buckets": [], "sum": 0.0, "count": 0.0})
        p95 = quantile(0.95, h["buckets"])
        out.append({"kind": kind, "outcomes": by,
                    "failure_rate": round(by.get("failed", 0) / max(1, sum(by.values())), 4),
                    "mean_ms": round(h["sum"] / h["count"] * 1000, 1) if h["count"] else None,
                    "p95_ms": round(p95 * 1000, 1) if p95 is not None else None})
    return out


def summary(directory: str | os.PathLike) -> dict[str, Any]:
    """Everything the admin metrics view shows, from the files in `directory`."""
    data = samples(directory)
    since = started_at(directory)
    now = time.time()
    uptime = max(0.0, now - since) if since else 0.0
    rows = endpoints(data, uptime)
    total = sum(r["requests"] for r in rows)
    errors = sum(r["status"]["5xx"] for r in rows)
    limited = _counter(data.get("sf_rate_limited", []), ("scope",))
    return {"since": since, "uptime_s": round(uptime, 1),
            "totals": {"requests": total, "errors_5xx": errors,
                       "error_rate": round(errors / total, 4) if total else 0.0,
                       "throughput_rps": round(total / uptime, 3) if uptime > 0 else None,
                       "rate_limited": {scope: int(v) for (scope,), v in limited.items()}},
            "endpoints": rows, "caches": caches(data), "providers": providers(data), "jobs": jobs(data)}
