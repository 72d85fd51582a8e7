"""Campaign and scenario lists as ratios of the bare-Flask floor: `python -m scripts.bench_campaigns [options]`.

    python -m scripts.bench_campaigns [--database-url URL] [--no-seed] [-c 50] [-d 5] [--rounds 3] [--json PATH]

Seeds SCALE=large (100,000 campaigns; unless --no-seed) into a dedicated database (BENCH_DATABASE_URL,
default instance/bench-large.db, the one `make bench` uses), then, each under gunicorn_config.py on a
free loopback port, measures with scripts.ratio (wrk, floor first in every round, medians):
  1. cached server (default config: L1 + view cache): the chef list (the reference, measured in the
     same rounds), the open-campaign list page 1, a filtered and sorted page, a campaign's detail,
     the scenario catalogue;
  2. uncached server (CACHE_TYPE=NullCache): the same, plus a keyset page past the 5,000th campaign.
Targets (the chef list's, issue 12): cached >= 0.9x, uncached >= 0.4x the floor. The machine is
shared and noisy: quote the ratios of one run, not absolute req/s.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import urllib.request
from pathlib import Path

from scripts.ratio import measure
from scripts.server import ROOT, Gunicorn, run_flask

API = "/api/v1"
LIST = f"{API}/campaigns"
FILTERED = f"{LIST}?brand=laneige&sort=-reward"
SCENARIOS = f"{API}/scenarios"
CHEFS = f"{API}/coocook/chefs"  # the reference: the issue asks for the chef list's ratios


def get_json(url: str) -> dict:
    """GET and decode."""
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback only)
        return json.load(response)


def deep_cursor(base: str, pages: int) -> str:
    """The next_cursor after `pages` pages of 100 campaigns (default sort)."""
    cursor = None
    for _ in range(pages):
        page = get_json(f"{base}{LIST}?per_page=100" + (f"&cursor={cursor}" if cursor else ""))
        cursor = page["next_cursor"]
    return cursor


def main() -> None:
    """Seed (unless --no-seed), measure the cached and uncached servers, print the ratio table."""
    ap = argparse.ArgumentParser(prog="python -m scripts.bench_campaigns", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL")
                    or f"sqlite:///{ROOT / 'instance' / 'bench-large.db'}")
    ap.add_argument("--no-seed", action="store_true", help="reuse the database as it is (already SCALE=large)")
    ap.add_argument("-c", "--connections", type=int, default=50)
    ap.add_argument("-d", "--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sf-bench-campaigns-"))
    env = {k: v for k, v in os.environ.items() if k not in {"CACHE_TYPE", "REDIS_URL"}}
    env.setdefault("RATELIMIT_ENABLED", "false")  # wrk sends everything from one address
    env.update({"DATABASE_URL": args.database_url, "FLASK_APP": "backend.wsgi",
                "CACHE_GENERATIONS_PATH": str(workdir / "cache-generations"), "INSIGHT_DIR": str(workdir / "insight")})
    results: dict = {"database": args.database_url.split("@")[-1], "connections": args.connections}
    if not args.no_seed:
        run_flask("db", "upgrade", env=env)
        started = time.perf_counter()
        print(run_flask("seed", "--scale", "large", env=env, timeout=3600).strip(), flush=True)
        results["seed_seconds"] = round(time.perf_counter() - started, 1)

    log = lambda line: print(line, flush=True)  # noqa: E731
    with Gunicorn(env) as server:
        detail = f"{LIST}/{get_json(server.base + LIST)['items'][0]['id']}"
        print("\n== cached (default config)", flush=True)
        results["cached"] = measure(server.base, [CHEFS, LIST, FILTERED, detail, SCENARIOS], args.connections,
                                    args.duration, args.rounds, env=env, log=log)
    with Gunicorn({**env, "CACHE_TYPE": "NullCache"}) as server:
        print("\n== uncached (CACHE_TYPE=NullCache)", flush=True)
        deep = f"{LIST}?cursor={deep_cursor(server.base, 50)}"
        results["uncached"] = measure(server.base, [CHEFS, LIST, deep, FILTERED, detail, SCENARIOS], args.connections,
                                      args.duration, args.rounds, env=env, log=log)
        results["deep_cursor_path"] = deep
    cached, uncached = results["cached"]["endpoints"], results["uncached"]["endpoints"]
    rows = [("chef list p1 (reference)", CHEFS), ("campaign list p1", LIST),
            ("campaign list filtered+sorted", FILTERED), ("campaign detail", detail),
            ("scenario catalogue", SCENARIOS)]
    print("\n| endpoint | cached ratio (>= 0.9x) | uncached ratio (>= 0.4x) | uncached p50 ms |\n|---|---|---|---|")
    for name, path in rows:
        print(f"| {name} | {cached[path]['ratio']:.2f} | {uncached[path]['ratio']:.2f} | {uncached[path]['p50_ms']} |")
    deep_row = uncached[deep]
    print(f"| campaign list, keyset page past 5,000 | - | {deep_row['ratio']:.2f} | {deep_row['p50_ms']} |")
    print(f"(floor: cached run {results['cached']['floor_rps']:.0f} req/s, "
          f"uncached run {results['uncached']['floor_rps']:.0f} req/s)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
