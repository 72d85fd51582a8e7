"""Measure endpoints of a running server as ratios of the bare-Flask floor (scripts/floor_app.py), in one run.

    python -m scripts.ratio [--base URL] [--gunicorn-config PATH] [-c CONN] [-d SECONDS] [--rounds N]
                            [--header 'Name: value'] PATH [PATH ...]

The floor is served on a free loopback port by the same gunicorn config and environment as the
project (GUNICORN_* and WEB_CONCURRENCY reach both), so a ratio says how much of the stack's own
capacity an endpoint keeps. Machines are noisy: each round runs the floor, then every PATH, and the
medians over the rounds are reported. A PATH may be `POST:/path:body.json` for a POST of that JSON
body. Needs wrk (apt-get install -y wrk). Prints one line per endpoint; the last line is a JSON
summary: {"floor_rps", "connections", "rounds", "duration_s", "endpoints": {PATH: {"rps", "ratio",
"p50_ms", "p99_ms", "errors"}}}. Exit status 0; 1 when wrk is missing, the floor does not start or
a wrk run fails.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from scripts.server import ROOT, Gunicorn, server_env

FLOOR_APP = "scripts.floor_app:app"
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def wrk(url: str, connections: int, seconds: int, headers: Sequence[str] = (), script: str | None = None,
        env: Mapping[str, str] | None = None) -> dict:
    """One wrk run (2 threads, 10 s timeout): req/s, requests, p50/p99 ms, non-2xx/3xx and socket errors."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", script]
    result = subprocess.run([*command, url], capture_output=True, text=True, env=dict(env) if env else None)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if result.returncode != 0 or rps is None:
        raise RuntimeError(f"wrk {url} failed ({result.returncode}): {result.stderr.strip() or result.stdout[-500:]}")
    latency = {pct: float(value) * _UNITS_MS[unit] for pct, value, unit in _LATENCY.findall(result.stdout)}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    sockets = _SOCKET_ERRORS.search(result.stdout)
    return {"rps": float(rps.group(1)), "requests": int(re.search(r"(\d+) requests in", result.stdout).group(1)),
            "p50_ms": latency.get("50"), "p99_ms": latency.get("99"), "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": dict(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()),
                                      strict=True)) if sockets else {}}


def errors(run: dict) -> int:
    """Non-2xx/3xx responses plus socket errors of one wrk run."""
    return run["non2xx"] + sum(run["socket_errors"].values())


def post_script(body: str, directory: Path) -> str:
    """A wrk Lua script that POSTs `body` as JSON; returns its path.

    The body goes into a Lua long string (`[==[...]==]`), which takes any bytes verbatim: a JSON
    string literal would not do, LuaJIT does not understand JSON's `\\u` escapes.
    """
    level = 0
    while f"]{'=' * level}]" in body:
        level += 1
    path = directory / f"post-{len(list(directory.iterdir()))}.lua"
    path.write_text(f'wrk.method = "POST"\nwrk.body = [{"=" * level}[{body}]{"=" * level}]\n'
                    'wrk.headers["Content-Type"] = "application/json"\n')
    return str(path)


def _target(spec: str, base: str, workdir: Path) -> tuple[str, str | None]:
    """(URL, wrk script or None) for a PATH argument, `POST:/path:body.json` included."""
    if not spec.startswith("POST:"):
        return base + spec, None
    _, path, body_file = spec.split(":", 2)
    return base + path, post_script(Path(body_file).read_text(), workdir)


def summarise(floors: list[dict], rows: dict[str, list[dict]], connections: int, duration: int) -> dict:
    """Medians over the rounds, each endpoint as a ratio of the floor's median req/s."""
    floor_rps = statistics.median(r["rps"] for r in floors)
    summary = {"floor_rps": round(floor_rps, 1), "connections": connections, "rounds": len(floors),
               "duration_s": duration, "endpoints": {}}
    for spec, runs in rows.items():
        rps = statistics.median(r["rps"] for r in runs)
        summary["endpoints"][spec] = {
            "rps": round(rps, 1), "ratio": round(rps / floor_rps, 3) if floor_rps else 0.0,
            "p50_ms": statistics.median(r["p50_ms"] or 0 for r in runs),
            "p99_ms": statistics.median(r["p99_ms"] or 0 for r in runs),
            "errors": sum(errors(r) for r in runs)}
    return summary


def measure(base: str, paths: Sequence[str], connections: int = 50, duration: int = 5, rounds: int = 3,
            headers: Sequence[str] = (), gunicorn_config: str | Path | None = "gunicorn_config.py",
            env: Mapping[str, str] | None = None, log: Callable[[str], None] = print) -> dict:
    """Serve the floor, alternate rounds of floor and `paths` on `base`, return the summary (see the module doc).

    `env` is the floor's environment (default: this process's), so GUNICORN_* settings match the
    server under test; `gunicorn_config` is relative to the repository root (None or missing: defaults).
    """
    if not shutil.which("wrk"):
        raise RuntimeError("wrk not found: apt-get install -y wrk")
    config = gunicorn_config if gunicorn_config and (ROOT / gunicorn_config).exists() else None
    base = base.rstrip("/")
    with tempfile.TemporaryDirectory(prefix="sf-ratio-") as tmp, \
            Gunicorn(dict(env) if env is not None else server_env(), app=FLOOR_APP, config=config,
                     health_path="/") as floor:
        targets = {spec: _target(spec, base, Path(tmp)) for spec in paths}
        floors: list[dict] = []
        rows: dict[str, list[dict]] = {spec: [] for spec in paths}
        for _ in range(rounds):
            floors.append(wrk(f"{floor.base}/", connections, duration))
            for spec, (url, script) in targets.items():
                rows[spec].append(wrk(url, connections, duration, headers, script))
    summary = summarise(floors, rows, connections, duration)
    log(f"floor (bare Flask, same gunicorn config): {summary['floor_rps']:.0f} req/s median of {rounds}")
    for spec, row in summary["endpoints"].items():
        log(f"{spec:60s} {row['rps']:8.0f} req/s  ratio {row['ratio']:5.2f}  p50 {row['p50_ms']:7.1f} ms  "
            f"p99 {row['p99_ms']:7.1f} ms  errors {row['errors']}")
    return summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m scripts.ratio", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="path on --base, or POST:/path:body.json")
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="server under test (default %(default)s)")
    parser.add_argument("--gunicorn-config", default="gunicorn_config.py", help="the floor's gunicorn config")
    parser.add_argument("-c", "--connections", type=int, default=50)
    parser.add_argument("-d", "--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--header", action="append", default=[], help="'Name: value' sent to PATHs (repeatable)")
    args = parser.parse_args(argv)
    if min(args.connections, args.duration, args.rounds) < 1:
        parser.error("-c, -d and --rounds must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; the JSON summary is the last line of stdout."""
    args = parse_args(argv)
    try:
        summary = measure(args.base, args.paths, args.connections, args.duration, args.rounds, args.header,
                          args.gunicorn_config, log=lambda line: print(line, flush=True))
    except (RuntimeError, OSError) as exc:
        print(f"ratio: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
