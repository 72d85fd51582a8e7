"""Reproduce the main table of docs/performance.md: `make bench` (needs wrk: apt-get install wrk).

Seeds SCALE=large into a dedicated database (BENCH_DATABASE_URL, default instance/bench-large.db;
never the development database), then, each under gunicorn_config.py on a free loopback port:
  1. cached server: chef list and chef detail as ratios of the bare-Flask floor (scripts.ratio), the
     chef list at 1,000 concurrent connections, and POST /coocook/bookings with
     scripts/bench_bookings.lua (every request a new, legitimate booking);
  2. uncached server (CACHE_TYPE=NullCache): chef list page 1, a keyset page past the 5,000th
     chef, chef detail.
GUNICORN_* / WEB_CONCURRENCY in the environment reach both the servers and the floor
(scripts/floor_app.py), which scripts.ratio runs under the same gunicorn_config.py and environment.
Machines are noisy: quote medians. Everything it needs is in the repository (and wrk).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
import time
import urllib.request
from pathlib import Path

from scripts.ratio import errors, measure, wrk
from scripts.server import ROOT, Gunicorn, run_flask

API = "/api/v1"
LIST, DETAIL = f"{API}/coocook/chefs", f"{API}/coocook/chefs/42"


def get_json(url: str, data: dict | None = None) -> dict:
    """GET (or POST `data` as JSON) and decode the answer."""
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback only)
        return json.load(response)


def ratio(args, env: dict[str, str], base: str, paths: list[str]) -> dict:
    """scripts.ratio's summary for `paths` on `base`; the floor runs with the servers' environment."""
    return measure(base, paths, args.connections, args.duration, args.rounds, env=env,
                   log=lambda line: print(line, flush=True))


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


BOOKING_USERS = 200  # each makes a few bookings per run: no per-user rule is what gets measured
FIRST_LOAD_USER = 4  # the seed's generated accounts: user4@load.test onwards (1-3 are the demo accounts)


def bookings(base: str, args, workdir: Path, state: Path) -> dict:
    """POST /coocook/bookings with scripts/bench_bookings.lua, spread over BOOKING_USERS seeded accounts."""
    tokens = [get_json(f"{base}{API}/auth/login", {"email": f"user{n}@load.test", "password": "load-password"})["token"]
              for n in range(FIRST_LOAD_USER, FIRST_LOAD_USER + BOOKING_USERS)]
    token_file = workdir / "tokens"
    token_file.write_text("\n".join(tokens) + "\n")
    ids = workdir / "chef_ids"
    ids.write_text("\n".join(map(str, active_chef_ids(base))) + "\n")
    env = {**os.environ, "TOKENS": str(token_file), "CHEF_IDS": str(ids), "THREADS": "2",
           "BENCH_STATE": str(state)}
    runs = [wrk(base, args.connections, args.duration, script=str(ROOT / "scripts/bench_bookings.lua"), env=env)
            for _ in range(args.rounds)]
    runs.sort(key=lambda r: r["rps"])
    median = runs[len(runs) // 2]
    return {**median, "errors": sum(errors(r) for r in runs),
            "all_rps": [r["rps"] for r in runs]}


def main() -> None:
    """Seed (unless --no-seed), measure the cached and uncached servers, print the table."""
    ap = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL")
                    or f"sqlite:///{ROOT / 'instance' / 'bench-large.db'}")
    ap.add_argument("--no-seed", action="store_true", help="reuse the database as it is (already SCALE=large)")
    ap.add_argument("-c", "--connections", type=int, default=50)
    ap.add_argument("-d", "--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--only-bookings", action="store_true",
                    help="measure POST /coocook/bookings only (no ratio rounds); env toggles such as "
                         "SQLITE_WRITE_LOCK=false reach the server")
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
        run_flask("db", "upgrade", env=env)
        started = time.perf_counter()
        seeded = run_flask("seed", "--scale", "large", env=env, timeout=3600).strip()
        results["seed_seconds"] = round(time.perf_counter() - started, 1)
        print(f"{seeded} ({results['seed_seconds']} s wall)", flush=True)

    if args.only_bookings:
        with Gunicorn(env) as server:
            results["bookings"] = bookings(server.base, args, workdir, state)
        print(f"POST bookings: {json.dumps(results['bookings'])}", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2))
        return

    with Gunicorn(env) as server:
        print("\n== cached (default config)", flush=True)
        results["cached"] = ratio(args, env, server.base, [LIST, DETAIL])
        results["c1000"] = wrk(server.base + LIST, 1000, 10)
        print(f"chef list at 1,000 connections: {results['c1000']}", flush=True)
        results["bookings"] = bookings(server.base, args, workdir, state)
        print(f"POST bookings: {results['bookings']}", flush=True)

    with Gunicorn({**env, "CACHE_TYPE": "NullCache"}) as server:
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
            ("1,000 connections errors", errors(results["c1000"]), "0")]
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
