"""Paired A/B rounds: several server variants up at once, measured back to back, round after round.

    .venv/bin/python -m scripts.ab --database-url sqlite:////tmp/bench/large.db [--uncached] [--floor] \\
        --variant off:METRICS_ENABLED=false --variant on:METRICS_ENABLED=true [--rounds 9] [-d 3] [PATH]

On a shared machine the floor moves by 2-3x between minutes, far more than the few percent being
looked for, so variants measured minutes apart (`make bench` twice) cannot be compared. Here every
variant (same gunicorn config and database, its own environment overrides) runs side by side and
each round measures them back to back in a rotating order, so a round's variants see the same
machine. A variant's cost is 1 - (its req/s / the first variant's req/s in the same round); with
`--floor` the bare-Flask floor (scripts/floor_app.py) is measured in each round too, and each
variant's ratio (its req/s over the floor's, as `make bench` reports it) is given per round.
Medians over the rounds are reported with the spread (min..max).

Each run also records the CPU time the server's processes spent per request answered, which is
much steadier than throughput when other jobs share the machine; its difference to the first
variant over the first variant's CPU per request is an upper bound on the cost.
scripts/throttle_ab.py is this with the throttling variants (and a Redis of its own).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil

from scripts.ratio import FLOOR_APP, errors, wrk
from scripts.server import Gunicorn, server_env


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes and their children (gunicorn master and workers)."""
    total = 0.0
    for pid in pids:
        proc = psutil.Process(pid)
        for each in [proc, *proc.children(recursive=True)]:
            times = each.cpu_times()
            total += times.user + times.system
    return total


def paired_rounds(servers: Mapping[str, Gunicorn], path: str, rounds: int, duration: int, connections: int,
                  extra_pids: Mapping[str, list[int]] | None = None,
                  log: Callable[[str], None] = print) -> tuple[dict[str, dict[str, list[float]]], int]:
    """Measure every (started) server in each round, rotating the order; ({name: {rps, cpu_us}}, errors)."""
    names = list(servers)
    out = {name: {"rps": [], "cpu_us": []} for name in names}
    failures = 0
    for server in servers.values():  # warm every worker's caches and connections first
        wrk(server.base + _path(server, path), connections, 2)
    for round_no in range(rounds):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            server = servers[name]
            pids = [server.proc.pid, *((extra_pids or {}).get(name, []))]
            before = cpu_seconds(pids)
            run = wrk(server.base + _path(server, path), connections, duration)
            out[name]["cpu_us"].append((cpu_seconds(pids) - before) / max(1, run["requests"]) * 1e6)
            out[name]["rps"].append(run["rps"])
            failures += errors(run)
        log(f"round {round_no + 1}: " + "  ".join(f"{n} {out[n]['rps'][-1]:.0f}/s {out[n]['cpu_us'][-1]:.0f} us"
                                                  for n in names))
    return out, failures


def _path(server: Gunicorn, path: str) -> str:
    return "/" if server.app == FLOOR_APP else path


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, min and max."""
    ordered = sorted(values)
    return {"median": statistics.median(ordered), "min": ordered[0], "max": ordered[-1]}


def summarise(runs: dict[str, dict[str, list[float]]], baseline: str, floor: str | None = None) -> dict:
    """Per variant: median req/s and CPU per request; cost against `baseline`; ratios to `floor` if measured."""
    out: dict = {"median_rps": {}, "median_cpu_us_per_request": {}, "cost": {}, "ratio": {}}
    for name, run in runs.items():
        out["median_rps"][name] = statistics.median(run["rps"])
        out["median_cpu_us_per_request"][name] = statistics.median(run["cpu_us"])
        if floor is not None and name != floor:
            out["ratio"][name] = spread([a / b for a, b in zip(run["rps"], runs[floor]["rps"], strict=True)])
    base_cpu = out["median_cpu_us_per_request"][baseline]
    for name, run in runs.items():
        if name in (baseline, floor):
            continue
        extra = out["median_cpu_us_per_request"][name] - base_cpu
        out["cost"][name] = {**spread([1 - a / b for a, b in zip(run["rps"], runs[baseline]["rps"], strict=True)]),
                             "cpu_us_per_request": extra, "cpu_share": extra / base_cpu if base_cpu else 0.0}
    return out


def otlp_sink() -> tuple[ThreadingHTTPServer, str]:
    """A loopback OTLP/HTTP collector that accepts and drops every export (so traces' export cost is paid)."""

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    """`name:KEY=value,KEY=value` as (name, overrides)."""
    name, _, assignments = text.partition(":")
    overrides = dict(item.split("=", 1) for item in assignments.split(",") if "=" in item)
    if not name:
        raise argparse.ArgumentTypeError(f"--variant needs a name: {text!r}")
    return name, overrides


def main(argv: list[str] | None = None) -> None:
    """Start the variants (and the floor), measure the rounds, print medians, costs and ratios."""
    ap = argparse.ArgumentParser(prog="python -m scripts.ab", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--variant", action="append", type=parse_variant, required=True,
                    help="name:KEY=value,... (the first is the baseline)")
    ap.add_argument("--uncached", action="store_true", help="CACHE_TYPE=NullCache on every variant")
    ap.add_argument("--floor", action="store_true", help="also measure the bare-Flask floor each round (ratios)")
    ap.add_argument("--otlp-sink", action="store_true",
                    help="run a loopback OTLP collector that drops spans; OTEL_EXPORTER_OTLP_ENDPOINT points at it")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("-d", "--duration", type=int, default=3)
    ap.add_argument("-c", "--connections", type=int, default=50)
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("path", nargs="?", default="/api/v1/coocook/chefs")
    args = ap.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="sf-ab-"))
    base = {"DATABASE_URL": args.database_url, "INSIGHT_DIR": str(workdir / "insight")}
    if args.uncached:
        base["CACHE_TYPE"] = "NullCache"
    if args.otlp_sink:
        sink, base["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp_sink()
    servers: dict[str, Gunicorn] = {}
    for name, extra in args.variant:
        env = {**base, "CACHE_GENERATIONS_PATH": str(workdir / f"gen-{name}"),
               "PROMETHEUS_MULTIPROC_DIR": str(workdir / f"metrics-{name}"), "METRICS_BIND": "off", **extra}
        servers[name] = Gunicorn(server_env(env, drop=("CACHE_TYPE", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")))
    if args.floor:
        servers["floor"] = Gunicorn(server_env(), app=FLOOR_APP, health_path="/")
    try:
        for server in servers.values():
            server.start()
        runs, failures = paired_rounds(servers, args.path, args.rounds, args.duration, args.connections,
                                       log=lambda line: print(line, flush=True))
    finally:
        for server in servers.values():
            server.stop()
    baseline = args.variant[0][0]
    results = {"path": args.path, "uncached": args.uncached, "rounds": args.rounds, "duration_s": args.duration,
               "connections": args.connections, "errors": failures,
               **summarise(runs, baseline, "floor" if args.floor else None), "runs": runs}
    for name, cost in results["cost"].items():
        print(f"{name}: median cost {cost['median']:+.1%} of {baseline}'s req/s (rounds {cost['min']:+.1%} .. "
              f"{cost['max']:+.1%}); CPU {cost['cpu_us_per_request']:+.1f} us per request ({cost['cpu_share']:+.1%})")
    for name, ratio in results["ratio"].items():
        print(f"{name}: ratio to the floor {ratio['median']:.3f} (rounds {ratio['min']:.3f} .. {ratio['max']:.3f})")
    print(json.dumps({k: v for k, v in results.items() if k != "runs"}))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
