"""Turn profile and load JSON into reports/PERFORMANCE_REPORT.md with PNG charts; compare against a baseline.

Usage:
    python -m scripts.report                                   # newest reports/profile-*.json and load-*.json
    python -m scripts.report --profile P.json --load L.json --out reports/PERFORMANCE_REPORT.md
    python -m scripts.report --baseline reports/profile-OLD.json   # exit 1 on a regression
    make report [ARGS="--baseline reports/profile-....json"]

The report has a summary, a per-endpoint table, a load table by concurrency (or arrival rate),
bottlenecks with severity and recommendations derived from the numbers (report_findings.py), and
three charts (report_charts.py): latency percentiles per endpoint, throughput and p95 against
concurrency, a latency histogram.

--baseline FILE compares the current run with an earlier one of the same kind (profile or load)
and gates only on what stays stable on a noisy machine:
  profile: SQL statements per uncached request (any increase), a new N+1 verdict, raw body size
           (+10% and +64 B by default), lost compression, success rate (-1 point), and latency as a
           ratio to /health in the same run (over 3x the baseline ratio and +2.0: loose on purpose,
           medians of a few dozen samples on a shared 2-core box move) - never raw ms;
  load:    error rate per step with the same user count or rate (+1 point).
Exit status: 0; 1 when a regression passes a threshold; 2 when inputs are missing or unreadable.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scripts import report_charts
from scripts.perf_common import REPORTS_DIR, newest
from scripts.report_baseline import baseline_lines, compare_loads, compare_profiles
from scripts.report_findings import load_findings, profile_findings, sort_findings


def load_json(path: Path | None, kind: str) -> dict | None:
    """Parse a report file and check its kind (None when no path)."""
    if path is None:
        return None
    data = json.loads(Path(path).read_text())
    if data.get("kind") != kind:
        raise ValueError(f"{path} is a {data.get('kind')!r} report, expected {kind!r}")
    return data


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def summary_lines(profile: dict | None, loads: list[dict], findings: list[dict]) -> list[str]:
    """Headline numbers."""
    lines = ["## Summary", ""]
    if profile:
        eps = [e for e in profile["endpoints"] if e["latency_ms"]]
        slowest = max(eps, key=lambda e: e["latency_ms"]["p95"])
        heaviest = max(eps, key=lambda e: e["statements_uncached"] or 0)
        lines += [f"- Profile of {len(eps)} endpoints at {profile['base']} ({profile['created_at']}, "
                  f"{profile['samples']} samples each, data: {profile.get('scale') or 'server as found'}, "
                  f"{profile['data'].get('chefs_total', '?')} active chefs).",
                  f"- Slowest p95: `{slowest['name']}` {slowest['latency_ms']['p95']:.1f} ms; most SQL per uncached "
                  f"request: `{heaviest['name']}` with {heaviest['statements_uncached']} statements.",
                  f"- Profiler flags: {profile['summary']['flags'] or 'none'}."]
    for load in (x for x in loads if x.get("steps")):
        best = max(load["steps"], key=lambda s: s["throughput_rps"])
        label = f"{best['rate']:g} req/s offered" if "rate" in best else f"{best['users']} users"
        worst = max(load["steps"], key=lambda s: s["error_rate"])
        lines += [f"- Load ({load['mode']} model, {load['scenario']} scenario): peak {best['throughput_rps']:.0f} "
                  f"req/s at {label}, p95 {_ms((best['latency_ms'] or {}).get('p95'))} ms; highest error rate "
                  f"{worst['error_rate']:.2%}."]
    counts = {s: sum(1 for f in findings if f["severity"] == s) for s in ("high", "medium", "low", "info")}
    lines += [f"- Findings: {', '.join(f'{v} {k}' for k, v in counts.items() if v) or 'none'}.", ""]
    return lines


def endpoint_table(profile: dict) -> list[str]:
    """The per-endpoint table."""
    lines = ["## Endpoints", "",
             "| endpoint | call | n | ok | p50 | p95 | p99 | max | budget | stmts | db ms | hit | raw B | wire B "
             "| x /health | flags |", "|" + "---|" * 16]
    for e in profile["endpoints"]:
        lat, db = e["latency_ms"] or {}, e["db_ms"] or {}
        hit = e["cache"].get("hit", 0) / e["samples"] if e["samples"] else 0
        flags = ", ".join(f["type"] for f in e["flags"]) or "-"
        ratio = "-" if e["ratio_to_health"] is None else f"{e['ratio_to_health']:.1f}"
        lines.append(f"| {e['name']} | {e['method']} {e['example_path'] or e['route']} | {e['samples']} | "
                     f"{e['success_rate']:.0%} | {_ms(lat.get('p50'))} | {_ms(lat.get('p95'))} | "
                     f"{_ms(lat.get('p99'))} | {_ms(lat.get('max'))} | {e['budget_ms']:g} | "
                     f"{'-' if e['statements_uncached'] is None else e['statements_uncached']} | "
                     f"{_ms(db.get('median'))} | {hit:.0%} | {e['bytes']['raw']} | {e['bytes']['compressed']}"
                     f"{' ' + e['bytes']['encoding'] if e['bytes']['encoding'] else ''} | "
                     f"{ratio} | {flags} |")
    lines += ["", "Latency in ms measured by the client over the full response; `stmts` = SQL statements of an "
              "uncached request and `db ms` = median DB time, both from `Server-Timing`; `hit` = response-cache "
              "hits among the samples; `x /health` = median latency as a multiple of /health's in the same run.", ""]
    return lines


def load_table(load: dict) -> list[str]:
    """The load table by concurrency or arrival rate."""
    open_model = load["mode"] == "open"
    first = "offered rate" if open_model else "users"
    lines = [f"## Load ({load['mode']} model, {load['scenario']} scenario, {load['config']['step_seconds']:g}s "
             f"per step, Locust {load['config'].get('locust', '')})", "",
             f"| {first} | req/s | ok | failed | error rate | failures by cause | p50 | p90 | p95 | p99 | max "
             f"| generator CPU |", "|" + "---|" * 12]
    for s in load["steps"]:
        lat = s["latency_ms"] or {}
        causes = ", ".join(f"{k}: {v}" for k, v in sorted(s["failures_by_cause"].items())) or "-"
        label = f"{s['rate']:g}/s" if open_model else str(s["users"])
        lines.append(f"| {label} | {s['throughput_rps']:.1f} | "
                     f"{s['successes']} | {s['failures']} | {s['error_rate']:.2%} | {causes} | {_ms(lat.get('p50'))} | "
                     f"{_ms(lat.get('p90'))} | {_ms(lat.get('p95'))} | {_ms(lat.get('p99'))} | {_ms(lat.get('max'))} "
                     f"| {s['generator_cpu']:.0%} |")
    note = ("Open model: latency is measured from each request's scheduled send time (no coordinated omission)."
            if open_model else "Closed model: each user sends its next request when the previous one returns.")
    lines += ["", note + " 409 answers to bookings (slot already taken) count as successes.", ""]
    return lines


def findings_lines(findings: list[dict]) -> list[str]:
    """Bottlenecks table and the recommendations derived from them."""
    lines = ["## Bottlenecks", ""]
    if not findings:
        return lines + ["None found: no N+1, no endpoint over budget, no uncompressed body, no errors.", ""]
    lines += ["| severity | area | where | evidence |", "|---|---|---|---|"]
    lines += [f"| {f['severity']} | {f['area']} | {f['where']} | {f['evidence']} |" for f in findings]
    lines += ["", "## Recommendations", ""]
    lines += [f"{i}. **{f['area']} - {f['where']}** ({f['severity']}): {f['recommendation']}"
              for i, f in enumerate(findings, start=1)]
    return lines + [""]


def make_charts(profile: dict | None, loads: list[dict], charts_dir: Path) -> dict[str, Path]:
    """Draw the charts that have data (after removing this script's old ones); returns title -> path."""
    for old in [*charts_dir.glob("throughput_*.png"), charts_dir / "latency.png", charts_dir / "latency_hist.png"]:
        old.unlink(missing_ok=True)
    made = {"Latency percentiles per endpoint": report_charts.latency_percentiles(profile, charts_dir / "latency.png")}
    for index, load in enumerate(loads):
        against = "arrival rate" if load.get("mode") == "open" else "concurrency"
        name = f"throughput_{load.get('mode')}{'_' + str(index) if index else ''}.png"
        made[f"Throughput and p95 against {against}"] = report_charts.throughput_and_p95(load, charts_dir / name)
    made["Latency histogram"] = report_charts.latency_histogram(loads, profile, charts_dir / "latency_hist.png")
    return {title: path for title, path in made.items() if path is not None}


def build_markdown(profile: dict | None, loads: list[dict], findings: list[dict], charts: dict[str, Path],
                   out: Path, sources: list[Path], comparison: list[str]) -> str:
    """The whole report."""
    lines = ["# Performance report", "", "Generated by `make report` from " +
             ", ".join(f"`{p.name}`" for p in sources) + ".", ""]
    lines += summary_lines(profile, loads, findings)
    lines += findings_lines(findings)
    if profile:
        lines += endpoint_table(profile)
    for load in (x for x in loads if x.get("steps")):
        lines += load_table(load)
    if charts:
        lines += ["## Charts", ""]
        for title, path in charts.items():
            lines += [f"### {title}", "", f"![{title}]({path.relative_to(out.parent).as_posix()})", ""]
    lines += comparison
    lines += ["## Reproduce", "", "```", *reproduce_commands(profile, loads), "make report", "```", ""]
    return "\n".join(lines)


def reproduce_commands(profile: dict | None, loads: list[dict]) -> list[str]:
    """The make commands that re-run these measurements (target and main options as recorded)."""
    def target(run: dict) -> str:
        return f"SCALE={run['scale']}" if run.get("started_server") else f"BASE={run['base']}"

    commands = []
    if profile:
        commands.append(f"make profile {target(profile)} ARGS=\"--samples {profile['samples']}\"")
    for load in loads:
        config = load["config"]
        shape = (f"--rate {','.join(f'{r:g}' for r in config['rate'])}" if load["mode"] == "open"
                 else f"--users {','.join(map(str, config['users']))}")
        commands.append(f"make load {target(load)} ARGS=\"{shape} --step-seconds {config['step_seconds']:g} "
                        f"--scenario {load['scenario']}\"")
    return commands


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", type=Path, help="profile JSON (default: newest reports/profile-*.json)")
    parser.add_argument("--load", type=Path, nargs="+",
                        help="load JSON file(s): a sweep and/or an open-model run (default: newest load-*.json)")
    parser.add_argument("--no-load", action="store_true", help="ignore load results")
    parser.add_argument("--out", type=Path, default=REPORTS_DIR / "PERFORMANCE_REPORT.md",
                        help="markdown to write; charts go to charts/ beside it (default %(default)s)")
    parser.add_argument("--baseline", type=Path, help="an earlier profile (or load) JSON to compare with")
    parser.add_argument("--bytes-threshold", type=float, default=0.10, help="relative raw-size growth (0.10)")
    parser.add_argument("--bytes-slack", type=int, default=64, help="absolute raw-size growth ignored (64 B)")
    parser.add_argument("--error-threshold", type=float, default=0.01, help="success/error rate change (0.01)")
    parser.add_argument("--latency-threshold", type=float, default=2.0,
                        help="relative growth of the latency/health ratio (2.0 = three times the baseline ratio)")
    parser.add_argument("--ratio-slack", type=float, default=2.0, help="absolute ratio growth ignored (2.0)")
    return parser.parse_args(argv)


def compare(args: argparse.Namespace, profile: dict | None, loads: list[dict]) -> tuple[list[str], int]:
    """The baseline section and the number of regressions (0 without --baseline)."""
    if not args.baseline:
        return [], 0
    base = json.loads(args.baseline.read_text())
    if base.get("kind") == "profile":
        current, compare_runs = profile, compare_profiles
    else:
        current = next((x for x in loads if x.get("mode") == base.get("mode")), None)
        compare_runs = compare_loads
    if current is None:
        raise ValueError(f"nothing of kind {base.get('kind')!r} ({base.get('mode', '')}) to compare "
                         f"{args.baseline} with")
    rows = compare_runs(base, current, args)
    for row in rows:
        if row["regressions"]:
            print(f"REGRESSION {row['endpoint']}: {'; '.join(row['regressions'])}")
    return baseline_lines(rows, args.baseline, base["kind"]), sum(1 for r in rows if r["regressions"])


def main(argv: list[str] | None = None) -> int:
    """Write the report; see the module docstring for exit statuses."""
    args = parse_args(argv)
    profile_path = args.profile or newest("profile")
    load_paths = [] if args.no_load else (args.load or [p for p in [newest("load")] if p])
    if profile_path is None and not load_paths:
        print("report: no reports/profile-*.json or load-*.json: run `make profile` and/or `make load` first",
              file=sys.stderr)
        return 2
    try:
        profile = load_json(profile_path, "profile")
        loads = [load_json(p, "load") for p in load_paths]
        comparison, regressions = compare(args, profile, loads)
    except (OSError, ValueError, KeyError) as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    findings = sort_findings(profile_findings(profile) + [f for x in loads for f in load_findings(x)])
    charts = make_charts(profile, loads, args.out.parent / "charts")
    sources = [p for p in (profile_path, *load_paths, args.baseline) if p]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(build_markdown(profile, loads, findings, charts, args.out, sources, comparison))
    print(f"wrote {args.out} ({len(findings)} findings, {len(charts)} charts)")
    for f in findings:
        print(f"  [{f['severity']}] {f['area']} - {f['where']}: {f['evidence']}")
    if regressions:
        print(f"FAIL: {regressions} regression(s) against {args.baseline}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
