"""Bottlenecks and recommendations derived from profile/load JSON (used by report.py).

Each finding is {"severity", "area", "where", "evidence", "recommendation"}; the recommendation
is built from the numbers of that finding (which statements, which share of time, which cause),
so two different runs produce different advice. Severity: high, medium, low, info.
"""

from __future__ import annotations

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}
SLOW_DB_MS = 20.0  # DB time per request (p95) worth a look
SLOW_STATEMENT_MS = 5.0  # average per statement


def finding(severity: str, area: str, where: str, evidence: str, recommendation: str) -> dict:
    """One bottleneck entry."""
    return {"severity": severity, "area": area, "where": where, "evidence": evidence,
            "recommendation": recommendation}


def _n_plus_one(e: dict) -> dict:
    probe = e["n_plus_one"]
    one, hundred = probe["per_page_1"], probe["per_page_100"]
    extra = hundred["statements"] - one["statements"]
    return finding("high", "N+1 queries", e["name"],
                   f"{one['statements']} statements for {one['items']} row(s), {hundred['statements']} for "
                   f"{hundred['items']} rows",
                   f"`{e['name']}` runs ~{extra / max(1, hundred['items'] - one['items']):.1f} extra statement(s) "
                   f"per row: fetch related rows in the list query (join, selectinload) or aggregate in SQL so "
                   f"it stays at {one['statements']} whatever the page size.")


def _over_budget(e: dict) -> dict:
    lat, db, app = e["latency_ms"], e["db_ms"] or {}, e["app_ms"] or {}
    severity = "high" if lat["p95"] > 2 * e["budget_ms"] else "medium"
    db_ms, app_ms = db.get("median", 0.0), app.get("median", 0.0)
    if app_ms and db_ms / app_ms >= 0.5:
        advice = (f"the database takes {db_ms / app_ms:.0%} of the handler ({db_ms:.1f} of {app_ms:.1f} ms over "
                  f"{e['statements_uncached']} statements): look at those queries' plans (EXPLAIN / the admin "
                  f"slow-query log) for full scans or sorts without an index, and select only the columns returned.")
    elif app_ms >= 0.5 * lat["median"]:
        advice = (f"the handler spends {app_ms - db_ms:.1f} ms of {lat['median']:.1f} ms outside the database: "
                  f"profile its Python path (serialisation, validation, hashing); cache the finished bytes if the "
                  f"response is public.")
    else:
        advice = (f"only {app_ms:.1f} ms of the {lat['median']:.1f} ms median is in the handler: the rest is "
                  f"queueing for a worker, compression or the network; check worker count and machine load "
                  f"during the run.")
    return finding(severity, "over budget", e["name"],
                   f"p95 {lat['p95']:.1f} ms vs budget {e['budget_ms']:g} ms "
                   f"(p50 {lat['p50']:.1f}, p99 {lat['p99']:.1f})",
                   advice)


def _uncompressed(e: dict) -> dict:
    raw = e["bytes"]["raw"]
    return finding("medium" if raw >= 2000 else "low", "uncompressed body", e["name"],
                   f"{raw} B sent without Content-Encoding although br/gzip was accepted "
                   f"({e['uncompressed_samples']} of {e['samples']} samples)",
                   f"`{e['name']}` returns {raw} B plain: check that its Content-Type is in COMPRESS_MIMETYPES "
                   f"and that the response is not streamed or direct-passthrough; JSON of this size typically "
                   f"shrinks 3-5x with br-4.")


def _errors(e: dict) -> dict:
    return finding("high" if e["success_rate"] < 0.95 else "medium", "errors", e["name"],
                   f"success {e['success_rate']:.1%}; statuses {e['status_counts']}",
                   f"`{e['name']}` answered {sorted(set(e['status_counts']))} to requests that should succeed: "
                   f"read the server log for them; a 5xx here is a bug, a 4xx means the profiler's request is stale.")


def _slow_db(e: dict) -> dict | None:
    db = e.get("db_ms")
    statements = e.get("statements_uncached") or 0
    if not db or not statements:
        return None
    per_statement = db["median"] / statements
    if db["p95"] < SLOW_DB_MS and per_statement < SLOW_STATEMENT_MS:
        return None
    severity = "high" if db["p95"] >= 5 * SLOW_DB_MS else "medium"
    return finding(severity, "slow queries", e["name"],
                   f"DB p95 {db['p95']:.1f} ms, median {db['median']:.1f} ms over {statements} statements "
                   f"({per_statement:.1f} ms each)",
                   f"`{e['name']}` spends {db['median']:.1f} ms in SQL per request: find the slow statement "
                   f"(GET /api/v1/admin/db/slow-queries shows normalised SQL and plan) and index its filter/sort.")


def profile_findings(profile: dict | None) -> list[dict]:
    """Findings from the profiler's flags and Server-Timing numbers."""
    if not profile:
        return []
    builders = {"n_plus_one": _n_plus_one, "over_budget": _over_budget, "uncompressed": _uncompressed,
                "errors": _errors}
    out = []
    for entry in profile["endpoints"]:
        out += [builders[f["type"]](entry) for f in entry["flags"] if f["type"] in builders]
        slow = _slow_db(entry)
        if slow:
            out.append(slow)
    for route in profile.get("coverage", {}).get("uncovered", []):
        out.append(finding("low", "coverage", route, "public GET in /openapi.json not profiled",
                           f"add `{route}` to PROFILE in its domain's perf.py with a budget."))
    return out


def _label(step: dict) -> str:
    return f"{step['rate']:g} req/s" if "rate" in step else f"{step['users']} users"


def _error_finding(step: dict, load: dict) -> dict:
    causes = step["failures_by_cause"]
    main = max(causes, key=causes.get)
    rate, label = step["error_rate"], _label(step)
    severity = "high" if rate >= 0.01 else "medium" if rate >= 0.001 else "low"
    lat = step["latency_ms"] or {}
    if main == "connection_error":
        advice = (f"connections were refused or reset at {label}: the accept queue overflowed; raise "
                  f"GUNICORN_BACKLOG and net.core.somaxconn together, or add workers.")
    elif main in ("timeout", "unsent"):
        queue_s = (step.get("users") or 0) / step["throughput_rps"] if step["throughput_rps"] else float("inf")
        advice = (f"requests waited past {load['config']['timeout_s']:g}s at {label} while the server answered "
                  f"{step['throughput_rps']:.0f} req/s" + (f" (Little's law: ~{queue_s:.1f}s of queue)"
                                                           if step.get("users") else "")
                  + ": the offered load exceeds capacity; cut per-request cost (cache hits, fewer statements) "
                  "or add capacity, and shed load early rather than time out.")
    elif main.startswith("status_5"):
        advice = (f"the server failed with {main[7:]} under {label}: check its log; on SQLite look for 'database "
                  f"is locked' (writers without BEGIN IMMEDIATE), on PostgreSQL for pool timeouts.")
    else:
        advice = (f"{main} dominated at {label} (p95 {lat.get('p95', 0):.0f} ms): the per-request Locust stats in "
                  f"the load JSON (`by_name`) show which call.")
    return finding(severity, "errors under load", label,
                   f"{rate:.2%} failed ({', '.join(f'{k}: {v}' for k, v in sorted(causes.items()))})", advice)


def _saturation(steps: list[dict]) -> dict | None:
    """The knee: the first step after which more users add < 10% throughput; reported when p95 kept growing."""
    closed = [s for s in steps if "users" in s and s["latency_ms"]]
    knee = next((s for i, s in enumerate(closed[:-1])
                 if max(t["throughput_rps"] for t in closed[i + 1:]) <= 1.1 * s["throughput_rps"]), None)
    if knee is None:
        return None
    last = closed[-1]
    rps = max(last["throughput_rps"], 0.001)
    growth = last["latency_ms"]["p95"] / max(knee["latency_ms"]["p95"], 0.001)
    return finding("medium" if growth >= 2 else "info", "saturation", f"{knee['users']} users",
                   f"{knee['throughput_rps']:.0f} req/s at {knee['users']} users; {last['throughput_rps']:.0f} req/s "
                   f"at {last['users']} users with p95 {last['latency_ms']['p95']:.0f} ms "
                   f"({growth:.1f}x the p95 at {knee['users']})",
                   f"past ~{knee['users']} concurrent clients requests mostly queue (Little's law: {last['users']} / "
                   f"{rps:.0f} req/s = {last['users'] / rps:.2f}s each): more concurrency buys latency, not "
                   f"throughput. Raise per-worker throughput (more cache hits, cheaper handlers) or add CPU/workers; "
                   f"the profiler's slowest uncached endpoints are the place to start.")


def _open_rate(step: dict) -> dict | None:
    """An open-model step the server did not keep up with, or kept up with only by queueing."""
    lat, service = step.get("latency_ms") or {}, step.get("service_ms") or {}
    if not lat:
        return None
    sustained = not step.get("unsent") and step["achieved_rate"] >= 0.95 * step["rate"]
    queueing = lat["p99"] >= max(1000.0, 3 * (service.get("p99") or 0))
    if sustained and not queueing:
        return None
    evidence = (f"offered {step['rate']:g}/s, sent {step['achieved_rate']:g}/s, answered {step['throughput_rps']:g}/s; "
                f"p99 from scheduled send {lat['p99']:.0f} ms vs {service.get('p99', 0):.0f} ms service time")
    if not sustained:
        advice = (f"the server cannot absorb {step['rate']:g} req/s of this mix: it answered about "
                  f"{step['throughput_rps']:.0f} req/s and the rest queued ({step.get('unsent', 0)} never left the "
                  f"client). Treat ~{step['throughput_rps']:.0f} req/s as capacity; a closed-model test would have "
                  f"reported the lower rate as if it were the load.")
    else:
        advice = (f"at {step['rate']:g} req/s throughput keeps up on average but requests wait up to "
                  f"{lat['p99']:.0f} ms (p99) before being answered: bursts exceed capacity; add headroom.")
    return finding("high" if not sustained else "medium", "capacity (open model)", _label(step), evidence, advice)


def _open_knee(steps: list[dict]) -> dict | None:
    """Open model: p50 at the highest sustained rate many times the p50 at the lowest: running near capacity."""
    rated = sorted((s for s in steps if "rate" in s and s["latency_ms"]), key=lambda s: s["rate"])
    if len(rated) < 2:
        return None
    low, high = rated[0], rated[-1]
    growth = high["latency_ms"]["p50"] / max(low["latency_ms"]["p50"], 0.001)
    if growth < 5 or high["latency_ms"]["p50"] < 50:
        return None
    return finding("medium", "latency knee (open model)", f"{low['rate']:g} -> {high['rate']:g} req/s",
                   f"p50 {low['latency_ms']['p50']:.0f} ms at {low['rate']:g}/s, {high['latency_ms']['p50']:.0f} ms "
                   f"at {high['rate']:g}/s ({growth:.0f}x); p99 {high['latency_ms']['p99']:.0f} ms",
                   f"between {low['rate']:g} and {high['rate']:g} req/s the server goes from idle to queueing: "
                   f"keep production load below ~{low['rate']:g}-{high['rate']:g} req/s per instance of this size, "
                   f"or make the mix cheaper (the profiler's uncached endpoints show where).")


def load_findings(load: dict | None) -> list[dict]:
    """Findings from a load run: error rates, saturation, open-model queueing, a saturated generator."""
    if not load:
        return []
    steps = load.get("steps", [])
    out = [_error_finding(s, load) for s in steps if s["failures"]]
    out += [f for f in (_open_rate(s) for s in steps if "rate" in s) if f]
    knee = _open_knee(steps)
    if knee:
        out.append(knee)
    saturation = _saturation(steps)
    if saturation:
        out.append(saturation)
    busy = [s for s in steps if s.get("generator_cpu", 0) >= 0.9]
    if busy:
        out.append(finding("info", "load generator", ", ".join(_label(s) for s in busy),
                           f"Locust process at {max(s['generator_cpu'] for s in busy):.0%} CPU",
                           "the client was CPU-bound at these steps, so they understate what the server can do; "
                           "run the load generator on another machine or fewer users per process."))
    return out


def sort_findings(findings: list[dict]) -> list[dict]:
    """Most severe first."""
    return sorted(findings, key=lambda f: SEVERITY_ORDER[f["severity"]])
