"""Profile every API endpoint: latency, SQL statements, DB time, payload size; flag N+1, slowness, no compression.

Usage:
    python -m scripts.profiler --base http://127.0.0.1:8000     # a running server (loopback only)
    python -m scripts.profiler --start --scale small            # seed a temp SQLite DB, run gunicorn, stop it
    make profile [BASE=http://127.0.0.1:8000] [SCALE=large] [ARGS="--samples 100 --fail-on-n1"]

Uncached measurements (the endpoints marked `uncached` and the N+1 probes) go to a server started
with the documented switch, CACHE_TYPE=NullCache: `--start` runs both servers over one database;
with `--base`, pass `--uncached-base` (without it they go to --base and may be cache hits).

For each endpoint the domains declare in their `perf.py` (every public GET plus the main
authenticated calls; scripts/profiler_endpoints.py gathers them) it sends a
warm-up, then N sequential samples with `Accept-Encoding: br, gzip`, and records min/max/mean/
median/stdev/p95/p99 latency (client side, full body read), success rate, statements and DB ms
per request (from `Server-Timing`), cache hits, and the body size raw (`Accept-Encoding:
identity`) and on the wire. Flags:
  n_plus_one    a list endpoint issues a different number of statements for per_page=1 and
                per_page=100 (both probes go to the uncached server);
  over_budget   p95 above the endpoint's declared budget (ms);
  uncompressed  a body >= 500 bytes came back without Content-Encoding although br/gzip was accepted;
  errors        a sample got an unexpected status;
  uncovered     a public GET in /openapi.json that no declared endpoint covers.
Writes reports/profile-<timestamp>.json and prints a table. Exit status: 0; 1 on a script error;
2 when the target is refused; 3 with --fail-on-n1 when an N+1 flag exists.
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import re
import sys
import time

import requests

from scripts import perf_spec
from scripts.perf_common import (
    DEFAULT_BASE,
    TargetRefused,
    check_target,
    host_info,
    summarise,
    write_report_json,
)
from scripts.perf_spec import Context, Endpoint
from scripts.profiler_endpoints import all_endpoints, select_endpoints
from scripts.profiler_http import Sample, coverage, get_json, login, send, with_param
from scripts.server import SeededServer

COMPRESS_MIN = 500
EXIT_N1 = 3


def n_plus_one_probe(session: requests.Session, base: str, endpoint: Endpoint, ctx: Context) -> dict:
    """Statements for per_page=1 vs per_page=100 (`base` is the uncached server: both are misses)."""
    path, _ = endpoint.build(ctx, 0)
    path = re.sub(r"([?&])(per_page|page|cursor)=[^&]*&?", r"\1", path).rstrip("?&")
    result = {}
    for per_page in (1, 100):
        # The fewest statements of three calls: what a worker remembers once (the token check,
        # per-process settings) makes its first call dearer, and each gunicorn worker has its own
        # first call; with two workers at least one of three is a steady-state call.
        samples = [send(session, base, "GET", with_param(path, per_page=per_page),
                        token=ctx.token if endpoint.auth else None) for _ in range(3)]
        counts = [s.timing["statements"] for s in samples]
        sample = samples[-1]
        items = len(json.loads(sample.body).get("items", [])) if sample.status == 200 else None
        result[f"per_page_{per_page}"] = {"status": sample.status,
                                          "statements": None if None in counts else min(counts),
                                          "cache": sample.timing["cache"], "items": items}
    one, hundred = result["per_page_1"], result["per_page_100"]
    if None in (one["statements"], hundred["statements"]) or "hit" in (one["cache"], hundred["cache"]):
        verdict = "inconclusive"
    elif one["statements"] != hundred["statements"]:
        verdict = "n_plus_one"
    elif (hundred["items"] or 0) <= (one["items"] or 0):
        verdict = "inconclusive"  # not enough rows to tell
    else:
        verdict = "constant"
    return {**result, "verdict": verdict}


def request_once(session: requests.Session, base: str, endpoint: Endpoint, ctx: Context, index: int) -> Sample:
    """One call of `endpoint`; a POST that hits a slot booked by an earlier run retries with a fresh slot."""
    token = ctx.token if endpoint.auth else None
    path, body = endpoint.build(ctx, index)
    sample = send(session, base, endpoint.method, path, body, token)
    retries = 0
    while sample.status == 409 and endpoint.method == "POST" and retries < 20:
        retries += 1
        path, body = endpoint.build(ctx, index)
        sample = send(session, base, endpoint.method, path, body, token)
    if endpoint.capture and sample.status == endpoint.expect:
        endpoint.capture(ctx, json.loads(sample.body))
    sample.path, sample.retries = path, retries
    return sample


def run_endpoint(session: requests.Session, base: str, endpoint: Endpoint, ctx: Context, samples: int,
                 warmup: int, uncached_base: str | None = None) -> dict:
    """Warm-up, samples, size probe and (for lists) the N+1 probe; returns the endpoint's JSON entry."""
    uncached_base = uncached_base or base
    if endpoint.uncached:
        base = uncached_base
    count = min(samples, endpoint.max_samples or samples)
    for j in range(warmup):  # indices past the samples: rotating endpoints warm up without pre-caching samples
        request_once(session, base, endpoint, ctx, count + 2 + j)
    measured = [request_once(session, base, endpoint, ctx, i) for i in range(count)]
    token = ctx.token if endpoint.auth else None
    path, body = endpoint.build(ctx, 0)
    identity = send(session, base, endpoint.method, path, body, token, accept="identity")
    path, body = endpoint.build(ctx, 0)
    compressed = send(session, base, endpoint.method, path, body, token)
    entry = summarise_samples(endpoint, measured)
    entry["bytes"] = {"raw": identity.wire_bytes, "compressed": compressed.wire_bytes,
                      "encoding": compressed.encoding, "probe_statuses": [identity.status, compressed.status]}
    entry["n_plus_one"] = probe = n_plus_one_probe(session, uncached_base, endpoint, ctx) if endpoint.is_list else None
    if entry["statements_uncached"] is None and probe:  # every sample was a cache hit: use the uncached probe
        entry["statements_uncached"] = probe["per_page_100"]["statements"]
    entry["flags"] = flags_for(endpoint, entry)
    return entry


def summarise_samples(endpoint: Endpoint, measured: list[Sample]) -> dict:
    """Latency statistics, status counts, statements, DB time, cache states and compression misses."""
    ok = [s for s in measured if s.status == endpoint.expect]
    not_hits = [s.timing["statements"] for s in measured if s.timing["cache"] != "hit"
                and s.timing["statements"] is not None]
    return {
        "name": endpoint.name, "method": endpoint.method, "route": endpoint.route,
        "example_path": measured[0].path if measured else None, "budget_ms": endpoint.budget_ms,
        "auth": endpoint.auth, "is_list": endpoint.is_list,
        "samples": len(measured), "success_rate": round(len(ok) / len(measured), 4) if measured else 0.0,
        "status_counts": dict(collections.Counter(str(s.status) for s in measured)),
        "latency_ms": summarise([s.ms for s in measured]),
        "latency_samples_ms": [round(s.ms, 3) for s in measured],
        "statements": summarise([float(s.timing["statements"]) for s in measured
                                 if s.timing["statements"] is not None], 2),
        # Statements of requests the response cache did not answer: what the handler really costs.
        "statements_uncached": collections.Counter(not_hits).most_common(1)[0][0] if not_hits else None,
        "db_ms": summarise([s.timing["db_ms"] for s in measured if s.timing["db_ms"] is not None]),
        "app_ms": summarise([s.timing["app_ms"] for s in measured if s.timing["app_ms"] is not None]),
        "cache": dict(collections.Counter(s.timing["cache"] or "none" for s in measured)),
        "uncompressed_samples": sum(1 for s in measured if s.raw_bytes >= COMPRESS_MIN and not s.encoding),
        "conflicts_retried": sum(s.retries for s in measured),
    }


def flags_for(endpoint: Endpoint, entry: dict) -> list[dict]:
    """The endpoint's flags, each {"type", "detail"}."""
    flags = []
    probe = entry["n_plus_one"]
    if probe and probe["verdict"] == "n_plus_one":
        flags.append({"type": "n_plus_one", "detail": f"{probe['per_page_1']['statements']} statements at "
                      f"per_page=1 vs {probe['per_page_100']['statements']} at per_page=100"})
    latency = entry["latency_ms"]
    if latency and latency["p95"] > endpoint.budget_ms:
        flags.append({"type": "over_budget", "detail": f"p95 {latency['p95']:.1f} ms > budget {endpoint.budget_ms} ms"})
    raw, sizes = entry["uncompressed_samples"], entry["bytes"]
    if endpoint.compressible and (raw or (sizes["raw"] >= COMPRESS_MIN and not sizes["encoding"])):
        flags.append({"type": "uncompressed", "detail": f"{sizes['raw']} B body sent without Content-Encoding "
                      f"({raw} of {entry['samples']} samples)"})
    if entry["success_rate"] < 1.0:
        flags.append({"type": "errors", "detail": f"statuses {entry['status_counts']} (expected {endpoint.expect})"})
    return flags


def health_reference(session: requests.Session, base: str, results: list[dict], samples: int) -> float | None:
    """The /health median used for latency ratios: the lower of its run and a second pass at the end.

    Sampling it again after every other endpoint keeps one noisy moment (a busy machine, a cold
    worker) from skewing every ratio of the run.
    """
    first = next((r["latency_ms"]["median"] for r in results if r["name"] == "health" and r["latency_ms"]), None)
    if first is None:
        return None
    again = summarise([send(session, base, "GET", "/health").ms for _ in range(samples)])
    return min(first, again["median"])


def profile(base: str, args: argparse.Namespace, log=print, uncached_base: str | None = None) -> dict:
    """Discover data, sign in, profile the selected endpoints; returns the report dict."""
    session = requests.Session()
    try:
        send(session, base, "GET", "/health", timeout=5)
    except requests.ConnectionError:
        raise RuntimeError(f"nothing answers at {base}: start a server (make run) or pass --start") from None
    ctx = Context(email=args.email, password=args.password, max_cursor_pages=args.max_cursor_pages)
    fetch = functools.partial(get_json, session, base)
    perf_spec.discover(ctx, fetch)
    ctx.token = login(session, base, args.email, args.password)
    endpoints = select_endpoints(args.only)
    log(f"profiling {len(endpoints)} endpoints x {args.samples} samples (+{args.warmup} warm-up) at {base}")
    results = []
    for endpoint in endpoints:
        if endpoint.prepare is not None:
            endpoint.prepare(ctx, fetch)
        results.append(run_endpoint(session, base, endpoint, ctx, args.samples, args.warmup, uncached_base))
    health = health_reference(session, base, results, args.samples)
    for entry in results:
        entry["ratio_to_health"] = (round(entry["latency_ms"]["median"] / health, 3)
                                    if health and entry["latency_ms"] else None)
    cover = coverage(session, base)
    flags = [{"endpoint": r["name"], **f} for r in results for f in r["flags"]]
    flags += [{"endpoint": route, "type": "uncovered", "detail": "public GET no domain's perf.py PROFILE covers"}
              for route in cover["uncovered"]]
    return {
        "kind": "profile", "version": 1, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "base": base, "uncached_base": uncached_base, "started_server": args.start,
        "scale": args.scale if args.start else None,
        "samples": args.samples, "warmup": args.warmup, "account": args.email, "host": host_info(),
        "health_reference_ms": health,
        "data": ctx.data, "coverage": cover, "endpoints": results, "flags": flags,
        "summary": {"endpoints": len(results), "flags": dict(collections.Counter(f["type"] for f in flags)),
                    "n_plus_one": any(f["type"] == "n_plus_one" for f in flags)},
    }


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def print_table(report: dict, out=sys.stdout) -> None:
    """One line per endpoint; flags after the table."""
    header = (f"{'endpoint':<18} {'n':>3} {'ok%':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'stmts':>5} "
              f"{'db ms':>6} {'raw B':>7} {'wire B':>7} {'enc':>4} {'hit%':>4}  flags")
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in report["endpoints"]:
        lat, db = r["latency_ms"] or {}, r["db_ms"] or {}
        hits = r["cache"].get("hit", 0) / r["samples"] * 100 if r["samples"] else 0
        stmts = r["statements_uncached"]
        print(f"{r['name']:<18} {r['samples']:>3} {r['success_rate'] * 100:>5.1f} {_fmt(lat.get('p50')):>7} "
              f"{_fmt(lat.get('p95')):>7} {_fmt(lat.get('p99')):>7} {_fmt(lat.get('max')):>7} "
              f"{'-' if stmts is None else stmts:>5} {_fmt(db.get('median'), '.2f'):>6} {r['bytes']['raw']:>7} "
              f"{r['bytes']['compressed']:>7} {r['bytes']['encoding'] or '-':>4} {hits:>4.0f}  "
              f"{','.join(f['type'] for f in r['flags']) or '-'}", file=out)
    print("latency in ms (client side); stmts = SQL statements per uncached request (Server-Timing)", file=out)
    for flag in report["flags"]:
        print(f"FLAG {flag['type']:<13} {flag['endpoint']}: {flag['detail']}", file=out)
    if not report["flags"]:
        print("no flags", file=out)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="Endpoints: " + ", ".join(e.name for e in all_endpoints()))
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--base", default=DEFAULT_BASE, help="running server to profile (default %(default)s)")
    target.add_argument("--start", action="store_true",
                        help="start gunicorn (and an uncached twin) on free loopback ports over a temp SQLite DB "
                             "seeded with --scale")
    parser.add_argument("--uncached-base", help="a server of the same database run with CACHE_TYPE=NullCache, for "
                                                "the uncached endpoints and N+1 probes (with --base)")
    parser.add_argument("--scale", default="small", choices=["small", "large", "xl"], help="data for --start")
    parser.add_argument("--samples", type=int, default=50, help="measured requests per endpoint (default 50)")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured requests first (default 5)")
    parser.add_argument("--only", help="comma-separated endpoint names to profile")
    parser.add_argument("--email", default="user@softfactory.dev", help="account for authenticated calls")
    parser.add_argument("--password", default="user-password")
    parser.add_argument("--max-cursor-pages", type=int, default=50,
                        help="pages of 100 to walk for the deep-cursor sample (default 50: past the 5,000th chef)")
    parser.add_argument("--out-dir", help="where profile-<timestamp>.json goes (default reports/)")
    parser.add_argument("--fail-on-n1", action="store_true", help=f"exit {EXIT_N1} when an N+1 flag exists")
    parser.add_argument("--allow-host", action="append", default=[], metavar="HOST",
                        help="permit this non-loopback host (repeatable)")
    args = parser.parse_args(argv)
    if args.samples < 1 or args.warmup < 0:
        parser.error("--samples must be >= 1 and --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the profiler; see the module docstring for exit statuses."""
    args = parse_args(argv)
    server = None
    try:
        uncached_base = None
        if args.start:
            server = SeededServer(args.scale, log=lambda m: print(m, file=sys.stderr), uncached_twin=True)
            base = server.start()
            uncached_base = server.uncached_base
        else:
            check_target(args.base, args.allow_host)
            base = args.base.rstrip("/")
            if args.uncached_base:
                check_target(args.uncached_base, args.allow_host)
                uncached_base = args.uncached_base.rstrip("/")
        report = profile(base, args, log=lambda m: print(m, file=sys.stderr), uncached_base=uncached_base)
    except TargetRefused as exc:
        print(f"profiler: {exc.message}", file=sys.stderr)
        return 2
    except (RuntimeError, requests.RequestException) as exc:
        print(f"profiler: {exc}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
    path = write_report_json("profile", report, args.out_dir)
    print_table(report)
    print(f"wrote {path}")
    if args.fail_on_n1 and report["summary"]["n_plus_one"]:
        print("FAIL: N+1 flag present (--fail-on-n1)", file=sys.stderr)
        return EXIT_N1
    return 0


if __name__ == "__main__":
    sys.exit(main())
