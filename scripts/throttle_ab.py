"""Throttling cost as paired runs: off, memory and Redis servers up at once, measured in turn.

    .venv/bin/python -m scripts.throttle_ab --database-url sqlite:////tmp/bench/large.db \\
        [--uncached] [--rounds 9] [-d 3] [PATH]

`make bench` measures off, memory and Redis minutes apart, and on a shared machine the floor itself
moves by 2-3x between minutes, far more than the 5% being looked for. Here the three servers (same
gunicorn config and database, `RATELIMIT_*` limits too high to bind, as in docs/performance.md)
run side by side and each round measures them back to back in a rotating order, so a round's
variants see the same machine. A variant's cost is 1 - (its req/s / off's req/s in the same round),
which is the share of the chef-list ratio it loses (the floor is the same within a round); the
median over the rounds is reported, with the spread.

Throughput still swings by tens of percent between runs seconds apart when other jobs share the
machine, so each run also records the CPU time the server's workers (and, for Redis, a redis-server
of the script's own on a free port) spent per request answered: far steadier, and its difference
to off over off's worker CPU per request is an upper bound on the cost (wrk's and the kernel's
share of each request is left out of the denominator).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from scripts.ab import paired_rounds, summarise
from scripts.server import Gunicorn, free_port, server_env

HIGH = {"RATELIMIT_ENABLED": "true", "RATELIMIT_DEFAULT": "10000000 per minute",
        "RATELIMIT_PER_IP": "10000000 per minute", "RATELIMIT_LOGIN_PER_IP": "100000 per minute",
        "RATELIMIT_LOGIN_PER_ACCOUNT": "100000 per minute"}


def own_redis(workdir: Path) -> tuple[subprocess.Popen, str]:
    """A private redis-server (so its CPU is this benchmark's alone); waits until it answers."""
    port = free_port()
    proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind",
                             "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port, socket_connect_timeout=1)
    for _ in range(200):
        try:
            client.ping()
            return proc, f"redis://127.0.0.1:{port}/0"
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def main() -> None:
    """Start the servers, measure the rounds, print the per-variant medians and costs."""
    ap = argparse.ArgumentParser(prog="python -m scripts.throttle_ab", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--uncached", action="store_true", help="CACHE_TYPE=NullCache on every server")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("-d", "--duration", type=int, default=3)
    ap.add_argument("-c", "--connections", type=int, default=50)
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("path", nargs="?", default="/api/v1/coocook/chefs")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sf-throttle-ab-"))
    base = {"DATABASE_URL": args.database_url, "INSIGHT_DIR": str(workdir / "insight")}
    if args.uncached:
        base["CACHE_TYPE"] = "NullCache"
    redis_proc, redis_url = own_redis(workdir)
    variants = {"off": {"RATELIMIT_ENABLED": "false"}, "memory": HIGH,
                "redis": {**HIGH, "RATELIMIT_STORAGE_URI": redis_url}}
    servers = {name: Gunicorn(server_env({**base, **extra, "CACHE_GENERATIONS_PATH": str(workdir / f"gen-{name}")},
                                         drop=("CACHE_TYPE", "REDIS_URL", "RATELIMIT_STORAGE_URI")))
               for name, extra in variants.items()}
    try:
        for server in servers.values():
            server.start()
        runs, failures = paired_rounds(servers, args.path, args.rounds, args.duration, args.connections,
                                       extra_pids={"redis": [redis_proc.pid]}, log=lambda line: print(line, flush=True))
    finally:
        for server in servers.values():
            server.stop()
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
    summary = summarise(runs, "off")
    results = {"path": args.path, "uncached": args.uncached, "rounds": args.rounds, "duration_s": args.duration,
               "errors": failures, "median_rps": summary["median_rps"],
               "median_cpu_us_per_request": summary["median_cpu_us_per_request"], "cost": summary["cost"]}
    off_cpu = results["median_cpu_us_per_request"]["off"]
    for name, cost in results["cost"].items():
        print(f"{name}: median cost {cost['median']:+.1%} of off's req/s "
              f"(rounds {cost['min']:+.1%} .. {cost['max']:+.1%}); "
              f"CPU {cost['cpu_us_per_request']:+.1f} us per request "
              f"({cost['cpu_share']:+.1%} of off's {off_cpu:.0f} us)")
    print(json.dumps(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
