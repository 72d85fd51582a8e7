"""Dashboards at SCALE=large as ratios of the bare-Flask floor: `python -m scripts.bench_dashboard` (needs wrk).

Uses the `make bench` database (BENCH_DATABASE_URL, default instance/bench-large.db; seeded with
SCALE=large unless it already holds it: pass --seed to reseed), serves it with gunicorn_config.py
and measures, each against the floor in the same run (scripts.ratio: rounds of floor, then paths):
  - cached (default config): GET /dashboard of a generated user, of the demo chef (chef 1, the
    busiest profile of the Zipf-skewed seed) and GET /dashboard/admin (last 30 days) of the demo admin;
  - uncached (CACHE_TYPE=NullCache): the same three.
Every request carries the account's bearer token; GET /auth/me (token lookup only) is measured in
the user's rounds as the reference for "a signed-in request that does nothing else". The
dashboards are per-user, so the L1 never serves them: the cached figure is a Flask request with
the token lookup and one cache get.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from scripts.bench import API, get_json
from scripts.ratio import measure
from scripts.server import ROOT, Gunicorn, run_flask

# The user is one `make bench`'s booking runs never book for (they use user4..user203): those gain
# ~35 bookings a run, and the user dashboard's counts grow with a user's history (measured: 0.30x the
# floor for user4 with ~45 bookings, 0.20x with 172), so the figure would drift run after run.
ACCOUNTS = {"user": ("user20000@load.test", "load-password"), "chef": ("chef@softfactory.dev", "chef-password"),
            "admin": ("admin@softfactory.dev", "admin-password")}
ME = f"{API}/auth/me"
PATHS = {"user": f"{API}/dashboard", "chef": f"{API}/dashboard", "admin": f"{API}/dashboard/admin"}


def token(base: str, role: str) -> str:
    """Sign the account of `role` in."""
    email, password = ACCOUNTS[role]
    return get_json(f"{base}{API}/auth/login", {"email": email, "password": password})["token"]


def run(env: dict, args, label: str) -> dict:
    """One server: each role's dashboard against the floor."""
    out = {}
    with Gunicorn(env) as server:
        print(f"\n== {label}", flush=True)
        for role, path in PATHS.items():
            header = f"Authorization: Bearer {token(server.base, role)}"
            # The user's round also measures GET /auth/me: the cheapest signed-in request (the token
            # lookup and nothing else), i.e. what any per-user endpoint pays before its own work.
            paths = [path, ME] if role == "user" else [path]
            summary = measure(server.base, paths, args.connections, args.duration, args.rounds, headers=[header],
                              env=env, log=lambda line, role=role: print(f"[{role}] {line}", flush=True))
            out[role] = {**summary["endpoints"][path], "floor_rps": summary["floor_rps"]}
            if role == "user":
                out["me"] = {**summary["endpoints"][ME], "floor_rps": summary["floor_rps"]}
    return out


def main() -> None:
    """Measure cached and uncached dashboards; print the table."""
    ap = argparse.ArgumentParser(prog="python -m scripts.bench_dashboard", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL")
                    or f"sqlite:///{ROOT / 'instance' / 'bench-large.db'}")
    ap.add_argument("--seed", action="store_true", help="seed SCALE=large first")
    ap.add_argument("-c", "--connections", type=int, default=50)
    ap.add_argument("-d", "--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sf-bench-dash-"))
    env = {k: v for k, v in os.environ.items() if k not in {"CACHE_TYPE", "REDIS_URL"}}
    env.setdefault("RATELIMIT_ENABLED", "false")
    env.update({"DATABASE_URL": args.database_url, "FLASK_APP": "backend.wsgi",
                "CACHE_GENERATIONS_PATH": str(workdir / "cache-generations"), "INSIGHT_DIR": str(workdir / "insight")})
    if args.seed:
        run_flask("db", "upgrade", env=env)
        print(run_flask("seed", "--scale", "large", env=env, timeout=3600).strip(), flush=True)
    results = {"cached": run(env, args, "cached (default config)"),
               "uncached": run({**env, "CACHE_TYPE": "NullCache"}, args, "uncached (CACHE_TYPE=NullCache)")}
    print("\n| dashboard | uncached ratio | cached ratio | uncached p50 ms | cached p50 ms |\n|---|---|---|---|---|")
    for role in [*PATHS, "me"]:
        u, c = results["uncached"][role], results["cached"][role]
        print(f"| {role} | {u['ratio']:.2f} | {c['ratio']:.2f} | {u['p50_ms']:.1f} | {c['p50_ms']:.1f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
