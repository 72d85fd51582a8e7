"""Baseline comparison for report.py: per-endpoint (or per-step) deltas and the regression gate.

Gates only on what is stable on a noisy machine: SQL statements per uncached request, N+1
verdicts, raw body sizes, compression, success/error rates, and latency as a ratio to /health in
the same run. Absolute milliseconds are shown, never gated on.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def compare_profiles(old: dict, new: dict, t: argparse.Namespace) -> list[dict]:
    """Per-endpoint deltas; each row has a list of `regressions` (empty when within thresholds)."""
    before = {e["name"]: e for e in old["endpoints"]}
    rows = []
    for e in new["endpoints"]:
        b = before.get(e["name"])
        if b is None:
            continue
        row = {"endpoint": e["name"], "regressions": []}
        row["statements"] = (b["statements_uncached"], e["statements_uncached"])
        if None not in row["statements"] and e["statements_uncached"] > b["statements_uncached"]:
            row["regressions"].append(f"statements {b['statements_uncached']} -> {e['statements_uncached']}")
        old_n1, new_n1 = ((x.get("n_plus_one") or {}).get("verdict") for x in (b, e))
        if new_n1 == "n_plus_one" and old_n1 != "n_plus_one":
            row["regressions"].append("new N+1")
        row["raw_bytes"] = (b["bytes"]["raw"], e["bytes"]["raw"])
        grown = e["bytes"]["raw"] - b["bytes"]["raw"]
        if grown > t.bytes_slack and grown > t.bytes_threshold * b["bytes"]["raw"]:
            row["regressions"].append(f"raw body {b['bytes']['raw']} -> {e['bytes']['raw']} B")
        if b["bytes"]["encoding"] and not e["bytes"]["encoding"]:
            row["regressions"].append(f"lost {b['bytes']['encoding']} compression")
        row["success_rate"] = (b["success_rate"], e["success_rate"])
        if b["success_rate"] - e["success_rate"] > t.error_threshold:
            row["regressions"].append(f"success {b['success_rate']:.1%} -> {e['success_rate']:.1%}")
        row["ratio_to_health"] = (b.get("ratio_to_health"), e.get("ratio_to_health"))
        old_ratio, new_ratio = row["ratio_to_health"]
        if (e["name"] != "health" and old_ratio and new_ratio and new_ratio > old_ratio * (1 + t.latency_threshold)
                and new_ratio - old_ratio > t.ratio_slack):
            row["regressions"].append(f"latency {old_ratio:g}x -> {new_ratio:g}x /health")
        rows.append(row)
    return rows


def compare_loads(old: dict, new: dict, t: argparse.Namespace) -> list[dict]:
    """Error-rate deltas for steps with the same user count (or rate)."""
    def key(step: dict) -> str:
        return f"{step['rate']:g}/s" if "rate" in step else f"{step['users']} users"

    before = {key(s): s for s in old.get("steps", [])}
    rows = []
    for s in new.get("steps", []):
        b = before.get(key(s))
        if b is None:
            continue
        row = {"endpoint": key(s), "error_rate": (b["error_rate"], s["error_rate"]),
               "throughput_rps": (b["throughput_rps"], s["throughput_rps"]), "regressions": []}
        if s["error_rate"] - b["error_rate"] > t.error_threshold:
            row["regressions"].append(f"error rate {b['error_rate']:.2%} -> {s['error_rate']:.2%}")
        rows.append(row)
    return rows


def _pair(pair: tuple | None, fmt: str = "{}") -> str:
    if pair is None:
        return "-"
    old, new = pair
    return f"{'-' if old is None else fmt.format(old)} -> {'-' if new is None else fmt.format(new)}"


def baseline_lines(rows: list[dict], baseline: Path, kind: str) -> list[str]:
    """The comparison section."""
    lines = [f"## Comparison with baseline `{baseline.name}`", ""]
    if kind == "profile":
        lines += ["| endpoint | statements | raw bytes | success | latency x /health | verdict |", "|" + "---|" * 6]
        lines += [f"| {r['endpoint']} | {_pair(r['statements'])} | {_pair(r['raw_bytes'])} | "
                  f"{_pair(r['success_rate'], '{:.1%}')} | {_pair(r['ratio_to_health'], '{:g}')} | "
                  f"{'REGRESSION: ' + '; '.join(r['regressions']) if r['regressions'] else 'ok'} |" for r in rows]
    else:
        lines += ["| step | error rate | req/s | verdict |", "|---|---|---|---|"]
        lines += [f"| {r['endpoint']} | {_pair(r['error_rate'], '{:.2%}')} | {_pair(r['throughput_rps'])} | "
                  f"{'REGRESSION: ' + '; '.join(r['regressions']) if r['regressions'] else 'ok'} |" for r in rows]
    regressions = sum(1 for r in rows if r["regressions"])
    lines += ["", f"{regressions} regression(s) past the thresholds (gated on statements, sizes, error rates and "
              f"latency relative to /health; absolute ms are shown but never gate).", ""]
    return lines
