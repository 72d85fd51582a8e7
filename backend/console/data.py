"""The operator page's figures, as sections of rows: the page renders them, dashboard.json refreshes them.

Traffic figures are over the last evaluation window (the newest evaluator sample at least
WINDOW seconds old; until there is one, since the processes started). Requests answered by the
L1 before Flask appear in the insight's counts only, so an endpoint's L1 hits are its insight
requests minus the requests the recorder saw.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from backend.common.models import utcnow
from backend.extensions import db
from backend.monitoring import recorder as rec
from backend.monitoring.evaluate import readings

WINDOW = 300
TOP_ENDPOINTS = 25


def _pct(part: float, whole: float) -> str:
    return f"{part / whole * 100:.1f}%" if whole else "–"


def _minus(now: list | dict, before: list | dict | None) -> Any:
    if before is None:
        return now
    if isinstance(now, dict):
        return {k: v - (before.get(k) or 0) if v >= (before.get(k) or 0) else v for k, v in now.items()}
    reset = any(a < b for a, b in zip(now, before, strict=False))
    return now if reset else [a - b for a, b in zip(now, before, strict=False)]


def traffic(app: Flask, now: dt.datetime) -> tuple[dict[str, Any], list[list[Any]], list[list[Any]], dict]:
    """(summary, endpoint rows, cache rows, pool figures) over the window."""
    reading = readings(app, now, {WINDOW})[WINDOW]
    rows_now, rows_past = reading.part("requests"), reading.part("requests", past=True) if reading.past else None
    ins_now, ins_past = reading.part("insight"), reading.part("insight", past=True) if reading.past else None
    seconds = reading.elapsed or None
    endpoints, cache, overall = [], [], [0] * rec.ROW
    l1_total = 0
    insight_requests = _minus(ins_now.get("endpoints", {}), (ins_past or {}).get("endpoints"))
    for name in sorted(set(rows_now) | set(insight_requests)):
        row = _minus(rows_now.get(name) or [0] * rec.ROW, (rows_past or {}).get(name) or [0] * rec.ROW)
        overall = [a + b for a, b in zip(overall, row, strict=True)]
        total = max(insight_requests.get(name, 0), row[rec.REQ])
        l1 = max(0, insight_requests.get(name, 0) - row[rec.REQ])
        l1_total += l1
        if total:
            hist = row[rec.HIST:]
            endpoints.append([name, total, f"{total / seconds:.2f}" if seconds else "–",
                              rec.quantile(hist, 0.5) or "–", rec.quantile(hist, 0.95) or "–",
                              rec.quantile(hist, 0.99) or "–", _pct(row[rec.S5], row[rec.REQ]),
                              _pct(row[rec.S4], row[rec.REQ])])
        if l1 or row[rec.HIT] or row[rec.MISS] or row[rec.NOT_MODIFIED]:
            cache.append([name, l1, row[rec.HIT], row[rec.MISS], row[rec.NOT_MODIFIED],
                          _pct(l1 + row[rec.HIT], l1 + row[rec.HIT] + row[rec.MISS])])
    endpoints.sort(key=lambda r: -r[1])
    requests = overall[rec.REQ] + l1_total
    hits, misses = overall[rec.HIT] + l1_total, overall[rec.MISS]
    summary = {"window": f"last {int(seconds)} s" if seconds else "since start", "requests": requests,
               "request_rate": f"{requests / seconds:.2f}/s" if seconds else "–",
               "p95_ms": rec.quantile(overall[rec.HIST:], 0.95) or "–",
               "error_rate": _pct(overall[rec.S5], overall[rec.REQ]), "cache_hit_rate": _pct(hits, hits + misses)}
    pool_now = _minus(ins_now.get("pool", {}), (ins_past or {}).get("pool"))
    pool = {"in_use": ins_now.get("checked_out", 0), "size": ins_now.get("size", 0),
            "checkouts": pool_now.get("checkouts", 0), "waits": pool_now.get("waits", 0),
            "avg_wait_ms": round(pool_now.get("wait_ms", 0) / pool_now["waits"], 2) if pool_now.get("waits") else 0,
            "timeouts": pool_now.get("timeouts", 0)}
    return summary, endpoints[:TOP_ENDPOINTS], cache[:TOP_ENDPOINTS], pool


def health(app: Flask) -> list[list[Any]]:
    """Each health check and each provider: status, latency, detail."""
    from backend.health.checks import DETAILED, providers, run_checks

    results = run_checks({**DETAILED, **providers(app)}, app)
    rows = []
    for name, r in results.items():
        detail = r.get("error") or r.get("backend") or r.get("breaker") or ""
        if r.get("configured") is False:
            detail = "not configured"
        rows.append([name, r["status"], r.get("latency_ms", 0.0), str(detail)])
    return rows


def jobs() -> list[list[Any]]:
    """Jobs per status (one GROUP BY)."""
    from backend.jobs.models import Job

    counts = dict(db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
    return [[s, counts.get(s, 0)] for s in ("queued", "running", "succeeded", "failed", "cancelled")]


def alerts_and_incidents() -> tuple[list[list[Any]], list[list[Any]]]:
    """Active alerts (worst first) and incidents not resolved (newest first)."""
    from backend.monitoring import incidents, services

    active = services.alerts_now()["active"]
    alert_rows = [[a["id"], a["severity"], a["status"], a["rule_name"],
                   ", ".join(f"{k}={v}" for k, v in a["labels"].items()), f"{a['value']:g}", f"{a['threshold']:g}",
                   a["started_at"].strftime("%H:%M:%S")] for a in active]
    listed = incidents.list_incidents(None, 50, None)["items"]
    incident_rows = [[i["id"], i["severity"], i["status"], i["title"], i["alert_count"],
                      i["updated_at"].strftime("%Y-%m-%d %H:%M")] for i in listed if i["status"] != "resolved"]
    return alert_rows, incident_rows[:20]


def dashboard(app: Flask) -> dict[str, Any]:
    """Everything the page shows."""
    now = utcnow()
    summary, endpoints, cache, pool = traffic(app, now)
    job_rows = jobs()
    alert_rows, incident_rows = alerts_and_incidents()
    db.session.commit()
    summary.update({"active_alerts": len(alert_rows), "open_incidents": len(incident_rows),
                    "queue_depth": dict((r[0], r[1]) for r in job_rows)["queued"],
                    "pool_in_use": f"{pool['in_use']}/{pool['size']}"})
    return {"generated_at": now.isoformat(timespec="seconds") + "Z", "summary": summary, "sections": [
        {"id": "health", "title": "Dependency health", "columns": ["check", "status", "latency ms", "detail"],
         "rows": health(app), "empty": "no checks"},
        {"id": "alerts", "title": "Active alerts", "columns": ["id", "severity", "status", "rule", "labels", "value",
                                                               "threshold", "since (UTC)"],
         "rows": alert_rows, "empty": "no active alerts"},
        {"id": "incidents", "title": "Open incidents", "columns": ["id", "severity", "status", "title", "alerts",
                                                                   "updated (UTC)"],
         "rows": incident_rows, "empty": "no open incidents"},
        {"id": "endpoints", "title": f"Endpoints ({summary['window']})",
         "columns": ["endpoint", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "5xx", "4xx"],
         "rows": endpoints, "empty": "no traffic yet"},
        {"id": "cache", "title": "Cache", "columns": ["endpoint", "L1 hits", "view hits", "view misses", "304s",
                                                      "hit rate"],
         "rows": cache, "empty": "no cacheable traffic yet"},
        {"id": "pool", "title": "Database pool", "columns": ["in use", "size", "checkouts", "waits", "avg wait ms",
                                                             "timeouts"],
         "rows": [[pool["in_use"], pool["size"], pool["checkouts"], pool["waits"], pool["avg_wait_ms"],
                   pool["timeouts"]]], "empty": ""},
        {"id": "jobs", "title": "Job queue", "columns": ["status", "jobs"], "rows": job_rows, "empty": ""},
    ]}
