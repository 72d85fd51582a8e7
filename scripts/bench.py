#!/usr/bin/env python3
"""Reproduce the main table of docs/performance.md: `make bench` (needs wrk: apt-get install wrk).

Seeds SCALE=large into a dedicated database (BENCH_DATABASE_URL, default instance/bench-large.db;
never the development database), then, each under gunicorn_config.py on a free loopback port:
  1. cached server: chef list and chef detail as ratios of the bare-Flask floor (ratio.py), the
     chef list at 1,000 concurrent connections, and POST /coocook/bookings with
     scripts/bench_bookings.lua (every request a new, legitimate booking);
  2. uncached server (CACHE_TYPE=NullCache): chef list page 1, a keyset page past the 5,000th
     chef, chef detail.
GUNICORN_* / WEB_CONCURRENCY in the environment reach both the servers and ratio.py's floor, as
ratio.py runs the floor under the same gunicorn_config.py. Machines are noisy: quote medians.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
API = "/api/v1"
LIST, DETAIL = f"{API}/coocook/chefs", f"{API}/coocook/chefs/42"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str, data: dict | None = None) -> dict:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


class Server:
    """gunicorn -c gunicorn_config.py on 127.0.0.1:<free port>, stopped on exit."""

    def __init__(self, env: dict[str, str]):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn_config.py", "--bind",
                                      f"127.0.0.1:{self.port}", "backend.wsgi:app"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                get_json(f"{self.base}{API}/health")
                return self
            except OSError:
                if self.proc.poll() is not None:
                    sys.exit("gunicorn exited during start-up")
                time.sleep(0.2)
        self.__exit__()
        sys.exit("gunicorn did not answer /health within 30 s")

    def __exit__(self, *_exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def ratio(args, env: dict[str, str], base: str, paths: list[str]) -> dict:
    """ratio.py's JSON summary for `paths` on `base`."""
    out = subprocess.run([sys.executable, args.ratio, "--base", base, "--gunicorn-config", "gunicorn_config.py",
                          "-c", str(args.connections), "-d", str(args.duration), "--rounds", str(args.rounds),
                          *paths], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    print(out.rsplit("\n{", 1)[0].strip(), flush=True)
    return json.loads(out.strip().splitlines()[-1])


def wrk(url: str, connections: int, seconds: int, script: str | None = None, env: dict | None = None) -> dict:
    """One wrk run: req/s, p50/p99 (ms), non-2xx and socket errors."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    out = subprocess.run(cmd + (["-s", script] if script else []) + [url], capture_output=True, text=True,
                         env=env, check=True).stdout
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    lat = {p: float(v) * unit[u] for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "p50_ms": lat.get("50"), "p99_ms": lat.get("99"), "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": dict(zip(("connect", "read", "write", "timeout"), map(int, sock.groups()), strict=True))
            if sock else {}}


def walk_cursor(base: str, pages: int) -> str:
    """The next_cursor after `pages` pages of 100 chefs (default sort)."""
    cursor = None
    for _ in range(pages):
        page = get_json(f"{base}{LIST}?per_page=100" + (f"&cursor={cursor}" if cursor else ""))
        cursor = page["next_cursor"]
    return cursor


def active_chef_ids(base: str) -> list[int]:
    """Every active chef id, through the API (keyset pages of 100)."""
    ids, cursor = [], None
    while True:
        page = get_json(f"{base}{LIST}?per_page=100&sort=newest" + (f"&cursor={cursor}" if cursor else ""))
        ids += [item["id"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            return ids


def bookings(base: str, args, workdir: Path, state: Path) -> dict:
    """POST /coocook/bookings with scripts/bench_bookings.lua, as the demo user."""
    token = get_json(f"{base}{API}/auth/login", {"email": "user@softfactory.dev", "password": "user-password"})["token"]
    ids = workdir / "chef_ids"
    ids.write_text("\n".join(map(str, active_chef_ids(base))) + "\n")
    env = {**os.environ, "TOKEN": token, "CHEF_IDS": str(ids), "THREADS": "2",
           "BENCH_STATE": str(state)}
    runs = [wrk(base, args.connections, args.duration, str(ROOT / "scripts/bench_bookings.lua"), env)
            for _ in range(args.rounds)]
    runs.sort(key=lambda r: r["rps"])
    median = runs[len(runs) // 2]
    return {**median, "errors": sum(r["non2xx"] + sum(r["socket_errors"].values()) for r in runs),
            "all_rps": [r["rps"] for r in runs]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL")
                    or f"sqlite:///{ROOT / 'instance' / 'bench-large.db'}")
    ap.add_argument("--no-seed", action="store_true", help="reuse the database as it is (already SCALE=large)")
    ap.add_argument("--ratio", default=str(ROOT.parent / "shared" / "bench" / "ratio.py"))
    ap.add_argument("-c", "--connections", type=int, default=50)
    ap.add_argument("-d", "--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sf-bench-"))
    env = {k: v for k, v in os.environ.items() if k not in {"CACHE_TYPE", "REDIS_URL"}}
    # Uncapped unless asked: wrk sends everything from one address, which the per-client limit would
    # stop within a second. RATELIMIT_ENABLED=true (with high limits) measures the throttling's cost.
    env.setdefault("RATELIMIT_ENABLED", "false")
    env.update({"DATABASE_URL": args.database_url, "FLASK_APP": "backend.wsgi",
                "CACHE_GENERATIONS_PATH": str(workdir / "cache-generations"), "INSIGHT_DIR": str(workdir / "insight")})
    results: dict = {"database": args.database_url.split("@")[-1], "connections": args.connections,
                     "gunicorn": {k: v for k, v in env.items() if k.startswith("GUNICORN_") or k == "WEB_CONCURRENCY"}}
    # Where the next unused (chef, date, slot) of bench_bookings.lua is kept for this database.
    state = ROOT / "instance" / f"bench-bookings-{hashlib.sha1(args.database_url.encode()).hexdigest()[:8]}.state"
    state.parent.mkdir(exist_ok=True)
    if not args.no_seed:
        state.unlink(missing_ok=True)  # a fresh seed has no benchmark bookings
        subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        started = time.perf_counter()
        seeded = subprocess.run([str(BIN / "flask"), "seed", "--scale", "large"], cwd=ROOT, env=env, check=True,
                                capture_output=True, text=True).stdout.strip()
        results["seed_seconds"] = round(time.perf_counter() - started, 1)
        print(f"{seeded} ({results['seed_seconds']} s wall)", flush=True)

    with Server(env) as server:
        print("\n== cached (default config)", flush=True)
        results["cached"] = ratio(args, env, server.base, [LIST, DETAIL])
        results["c1000"] = wrk(server.base + LIST, 1000, 10)
        print(f"chef list at 1,000 connections: {results['c1000']}", flush=True)
        results["bookings"] = bookings(server.base, args, workdir, state)
        print(f"POST bookings: {results['bookings']}", flush=True)

    with Server({**env, "CACHE_TYPE": "NullCache"}) as server:
        print("\n== uncached (CACHE_TYPE=NullCache)", flush=True)
        deep = f"{LIST}?cursor={walk_cursor(server.base, 50)}"
        results["uncached"] = ratio(args, env, server.base, [LIST, deep, DETAIL])
        results["deep_cursor_path"] = deep

    cached, uncached = results["cached"]["endpoints"], results["uncached"]["endpoints"]
    page1, deep_row = uncached[LIST], uncached[results["deep_cursor_path"]]
    rows = [("cached list", cached[LIST]["ratio"], ">= 0.9x floor"),
            ("uncached list p1", page1["ratio"], ">= 0.4x floor"),
            ("deep cursor p50 / p1 p50", deep_row["p50_ms"] / page1["p50_ms"], "<= 1.2"),
            ("chef detail (uncached)", uncached[DETAIL]["ratio"], ">= 0.4x floor"),
            ("chef detail (cached)", cached[DETAIL]["ratio"], "(no target)"),
            ("POST bookings req/s", results["bookings"]["rps"], ">= 300, 0 errors"),
            ("1,000 connections errors", results["c1000"]["non2xx"] + sum(results["c1000"]["socket_errors"].values()),
             "0")]
    print("\n| measure | value | target |\n|---|---|---|")
    for name, value, target in rows:
        shown = f"{value:.2f}" if isinstance(value, float) else value
        print(f"| {name} | {shown} | {target} |")
    print(f"(floor: cached run {results['cached']['floor_rps']:.0f} req/s, "
          f"uncached run {results['uncached']['floor_rps']:.0f} req/s; POST errors {results['bookings']['errors']})")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
