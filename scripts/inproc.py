"""CPU per request in process: `python -m scripts.inproc [--database-url URL] [--repeat 7] [--n 300] [PATH ...]`.

Runs each GET through the WSGI app with Flask's test client (no sockets, no other process) and
prints `time.process_time` per request, the minimum of `--repeat` runs of `--n` requests. It does
not depend on what else the machine runs (unlike req/s under wrk), so two commits can be compared
on a busy box: run it from each tree against the same database. Uncached (CACHE_TYPE=NullCache)
unless `--cached`.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

DEFAULT_PATHS = ["/api/v1/health", "/api/v1/coocook/chefs", "/api/v1/coocook/chefs/42"]


def main(argv: list[str] | None = None) -> None:
    """Print microseconds of CPU per request for each path."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--cached", action="store_true")
    args = parser.parse_args(argv)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    if not args.cached:
        os.environ["CACHE_TYPE"] = "NullCache"
    os.environ.setdefault("RATELIMIT_ENABLED", "false")
    warnings.simplefilter("ignore")
    from backend import create_app

    client = create_app().test_client()
    for path in args.paths:
        assert client.get(path).status_code == 200, path
        best = []
        for _ in range(args.repeat):
            started = time.process_time()
            for _ in range(args.n):
                client.get(path)
            best.append((time.process_time() - started) / args.n * 1e6)
        print(f"{min(best):8.0f} us  {path}")


if __name__ == "__main__":
    main()
