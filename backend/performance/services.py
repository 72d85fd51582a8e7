"""Performance figures and bottleneck findings, derived from the metrics files and the DB insight.

Findings are rules over measured figures, each carrying the figures it was judged on (`evidence`)
and the thresholds in the answer, so an operator can check the judgement:
- slow_endpoint: the slowest endpoints by p95 (at least MIN_REQUESTS requests); warning past
  SLOW_P95_MS, critical past 4x that, else info (still the slowest there are);
- full_scan: a slow statement (insight, above SLOW_QUERY_MS) whose captured plan reads a whole table
  (SQLite `SCAN t` without an index, PostgreSQL `Seq Scan on t`);
- n_plus_one: an endpoint whose statements per request reach N_PLUS_ONE_STATEMENTS at most or half
  of that on average: per-request statement counts that grow with the data are the N+1 signature
  (every list and detail here is meant to issue a constant number);
- pool_waits: checkouts that waited for a connection (critical when one timed out);
- provider_failing / provider_slow: error share or breaker open / p95 latency of outbound calls;
- job_failing: a job kind whose attempts fail.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

from flask import current_app

from backend.observability import readout
from backend.observability.insight import get_insight
from backend.observability.multiproc import ENV
from backend.observability.tally import flush_process

MIN_REQUESTS = 5
SLOW_P95_MS = 250.0
N_PLUS_ONE_STATEMENTS = 20
PROVIDER_ERROR_RATE = 0.1
PROVIDER_SLOW_P95_MS = 1000.0
MIN_CALLS = 3
JOB_FAILURE_RATE = 0.1
TOP_SLOW = 5
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
_SQLITE_SCAN = re.compile(r"^\s*SCAN (?:TABLE )?(?!CONSTANT ROW)(\w+)(?!.*\bUSING (?:COVERING )?INDEX\b)")
_PG_SEQ = re.compile(r"Seq Scan on (?:\w+\.)?(\w+)")


def _directory() -> str | None:
    if not current_app.config.get("METRICS_ENABLED", True):
        return None
    return os.environ.get(ENV) or current_app.config.get("METRICS_DIR")


def _empty() -> dict[str, Any]:
    return {"since": None, "uptime_s": 0.0, "endpoints": [], "caches": [], "providers": [], "jobs": [],
            "totals": {"requests": 0, "errors_5xx": 0, "error_rate": 0.0, "throughput_rps": None, "rate_limited": {}}}


def _pool(merged: dict[str, Any]) -> dict[str, Any]:
    pool = merged["pool"]
    waits = int(pool.get("waits", 0))
    return {"checkouts": int(pool.get("checkouts", 0)), "waits": waits, "timeouts": int(pool.get("timeouts", 0)),
            "wait_ms_mean": round(pool.get("wait_ms", 0.0) / waits, 3) if waits else None,
            "wait_ms_max": round(pool.get("wait_ms_max", 0.0), 3)}


def metrics() -> dict[str, Any]:
    """Per-endpoint latency percentiles, throughput, error rates and DB share; caches, providers, jobs, pool."""
    directory = _directory()
    flush_process()  # this worker's last second too (the others' files are at most METRICS_FLUSH_SECONDS behind)
    out = readout.summary(directory) if directory and os.path.isdir(directory) else _empty()
    out["pool"] = _pool(get_insight().merged())
    return out


def _finding(kind: str, severity: str, subject: str, message: str, evidence: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "severity": severity, "subject": subject, "message": message, "evidence": evidence}


def slow_endpoints(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The slowest endpoints by p95 with enough requests to judge."""
    ranked = sorted((r for r in rows if r["requests"] >= MIN_REQUESTS and r["p95_ms"] is not None),
                    key=lambda r: r["p95_ms"], reverse=True)[:TOP_SLOW]
    out = []
    for r in ranked:
        severity = "critical" if r["p95_ms"] >= 4 * SLOW_P95_MS else "warning" if r["p95_ms"] >= SLOW_P95_MS else "info"
        out.append(_finding("slow_endpoint", severity, f"{r['method']} {r['route']}",
                            f"p95 {r['p95_ms']:.1f} ms over {r['requests']} requests "
                            f"({r['db_share']:.0%} of it in the database)",
                            {k: r[k] for k in ("requests", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "db_share",
                                               "db_statements_per_request", "error_rate")}))
    return out


def scanned_tables(plan: list[str] | None) -> list[str]:
    """Tables a plan reads in full (SQLite SCAN without an index, PostgreSQL Seq Scan)."""
    tables = []
    for line in plan or []:
        match = _SQLITE_SCAN.match(line) or _PG_SEQ.search(line)
        if match and match.group(1) not in tables:
            tables.append(match.group(1))
    return tables


def full_scans(slow: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Slow statements whose plan reads a whole table."""
    out = []
    for key, entry in sorted(slow.items(), key=lambda kv: kv[1]["total_ms"], reverse=True):
        tables = scanned_tables(entry.get("plan"))
        if not tables:
            continue
        count = max(1, entry["count"])
        mean = entry["total_ms"] / count
        out.append(_finding("full_scan", "critical" if mean >= 4 * SLOW_P95_MS else "warning", ", ".join(tables),
                            f"{entry['count']} slow executions (mean {mean:.1f} ms) read {', '.join(tables)} in full",
                            {"statement_id": key, "sql": entry["sql"], "plan": entry.get("plan"),
                             "count": entry["count"], "mean_ms": round(mean, 3), "max_ms": round(entry["max_ms"], 3)}))
    return out


def n_plus_one(endpoints: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Endpoints whose statements per request look like one query per row."""
    out = []
    for name, ep in endpoints.items():
        requests = max(1, ep.get("requests", 0))
        mean = ep.get("statements", 0) / requests
        if ep.get("statements_max", 0) >= N_PLUS_ONE_STATEMENTS or mean >= N_PLUS_ONE_STATEMENTS / 2:
            out.append(_finding("n_plus_one", "warning", name,
                                f"up to {ep['statements_max']} statements in one request (mean {mean:.1f})",
                                {"requests": ep.get("requests", 0), "statements_mean": round(mean, 2),
                                 "statements_max": ep.get("statements_max", 0),
                                 "db_ms_per_request": round(ep.get("db_ms", 0.0) / requests, 3)}))
    return out


def pool_waits(pool: dict[str, Any]) -> list[dict[str, Any]]:
    """Checkouts that had to wait for a connection."""
    if not pool["waits"]:
        return []
    severity = "critical" if pool["timeouts"] else "warning"
    share = pool["waits"] / max(1, pool["checkouts"])
    return [_finding("pool_waits", severity, "database pool",
                     f"{pool['waits']} of {pool['checkouts']} checkouts waited (mean {pool['wait_ms_mean']} ms, "
                     f"{pool['timeouts']} timed out)", {"wait_share": round(share, 4), **pool})]


def provider_findings(providers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Providers that fail (error share, open breaker) or answer slowly."""
    out = []
    for p in providers:
        failing = p["breaker"] == "open" or (p["calls"] >= MIN_CALLS and (p["error_rate"] or 0) >= PROVIDER_ERROR_RATE)
        if failing:
            out.append(_finding("provider_failing", "critical" if p["breaker"] == "open" else "warning", p["provider"],
                                f"{p['provider']}: {p['error_rate'] or 0:.0%} of {p['calls']} calls failed, "
                                f"breaker {p['breaker']}", dict(p)))
        if p["calls"] >= MIN_CALLS and (p["p95_ms"] or 0) >= PROVIDER_SLOW_P95_MS:
            out.append(_finding("provider_slow", "warning", p["provider"],
                                f"{p['provider']}: p95 {p['p95_ms']:.0f} ms over {p['calls']} calls", dict(p)))
    return out


def job_findings(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Job kinds whose attempts fail."""
    out = []
    for j in jobs:
        attempts = sum(j["outcomes"].values())
        if attempts >= MIN_CALLS and j["failure_rate"] >= JOB_FAILURE_RATE:
            out.append(_finding("job_failing", "warning", j["kind"],
                                f"{j['kind']}: {j['failure_rate']:.0%} of {attempts} attempts failed", dict(j)))
    return out


def bottlenecks() -> dict[str, Any]:
    """Every finding, worst first, with the thresholds used."""
    figures = metrics()
    merged = get_insight().merged()
    findings = (slow_endpoints(figures["endpoints"]) + full_scans(merged["slow_queries"])
                + n_plus_one(merged["endpoints"]) + pool_waits(figures["pool"])
                + provider_findings(figures["providers"]) + job_findings(figures["jobs"]))
    findings.sort(key=lambda f: SEVERITY_ORDER[f["severity"]])
    return {"generated_at": time.time(), "findings": findings,
            "thresholds": {"min_requests": MIN_REQUESTS, "slow_p95_ms": SLOW_P95_MS,
                           "n_plus_one_statements": N_PLUS_ONE_STATEMENTS,
                           "slow_query_ms": float(current_app.config["SLOW_QUERY_MS"]),
                           "provider_error_rate": PROVIDER_ERROR_RATE, "provider_slow_p95_ms": PROVIDER_SLOW_P95_MS,
                           "job_failure_rate": JOB_FAILURE_RATE}}
