"""Per-request cost of the metrics middleware in isolation, and of one prometheus_client multiprocess write.

    .venv/bin/python -m scripts.metrics_timeit [-n 100000]
    .venv/bin/python -m scripts.metrics_timeit --database-url sqlite:////tmp/bench/large.db [--rounds 9] [-n 3000]

Measures, best of five runs of `-n` calls each, in microseconds:
- `RequestMetrics` around an empty WSGI app whose request observer fires as the L1's does (route,
  0 statements), i.e. everything a request pays for the metrics: two clock reads, the start_response
  wrapper, the thread-local, the route look-up and the tally's dict updates;
- the same empty app alone (the difference is the middleware);
- one `Counter.inc()`, one `Histogram.observe()` and one `Gauge.inc()` on multiprocess values: what
  each write to the mmap files costs (why the request path counts in dicts and flushes once a second).
Noise-resistant next to `scripts/ab.py`: no sockets, no database, no wrk. The box's load shows in
every figure alike, so compare them with each other.

With `--database-url` (a seeded database; only read), two whole apps instead, metrics on and off,
called through their WSGI stacks in interleaved rounds (the order alternates): the chef list as an
L1 hit and uncached (CACHE_TYPE=NullCache twins), microseconds per request, the median difference
over the rounds with its spread, and that difference as a share of the off app's time.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import timeit


def whole_apps(url: str, rounds: int, number: int) -> None:
    """Metrics on vs off through create_app's whole WSGI stack, interleaved rounds (see the module doc)."""
    import io
    import statistics
    import time

    from backend import create_app

    tmp = tempfile.mkdtemp(prefix="sf-metrics-apps-")
    apps = {(cached, on): create_app({
        "APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
        "CACHE_TYPE": "SimpleCache" if cached else "NullCache", "METRICS_ENABLED": on,
        "CACHE_GENERATIONS_PATH": f"{tmp}/gen-{cached}-{on}", "VALIDATE_RESPONSES": False})
        for cached in (True, False) for on in (True, False)}

    def call(app) -> None:
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/coocook/chefs", "QUERY_STRING": "",
                   "SERVER_NAME": "x", "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
                   "SERVER_PROTOCOL": "HTTP/1.1"}
        body = app.wsgi_app(environ, lambda status, headers, exc_info=None: None)
        for _ in body:
            pass
        getattr(body, "close", lambda: None)()

    for app in apps.values():
        call(app)
        call(app)
    for cached, n in ((True, number), (False, max(1, number // 10))):
        times: dict[bool, list[float]] = {True: [], False: []}
        for round_no in range(rounds):
            for on in ((True, False) if round_no % 2 else (False, True)):
                started = time.perf_counter()
                for _ in range(n):
                    call(apps[(cached, on)])
                times[on].append((time.perf_counter() - started) / n * 1e6)
        diffs = sorted(a - b for a, b in zip(times[True], times[False], strict=True))
        off = statistics.median(times[False])
        print(f"{'L1 hit' if cached else 'uncached'}: off {off:.1f} us, on {statistics.median(times[True]):.1f} us "
              f"per request; metrics cost {statistics.median(diffs):+.1f} us (rounds {diffs[0]:+.1f} .. "
              f"{diffs[-1]:+.1f}) = {statistics.median(diffs) / off:+.1%} of off")


def main() -> None:
    """Print the per-call costs."""
    ap = argparse.ArgumentParser(prog="python -m scripts.metrics_timeit", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--number", type=int, default=100_000)
    ap.add_argument("--database-url", help="measure two whole apps (metrics on/off) on this seeded database")
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="sf-metrics-timeit-")
    if args.database_url:
        whole_apps(args.database_url, args.rounds, args.number)
        return
    from backend.observability import families
    from backend.observability.metrics import RequestMetrics, _observe
    from backend.observability.tally import Tally

    def empty_app(environ, start_response):
        _observe("coocook.list_chefs", 0, 0.0)  # what the L1 tells the request observers on a hit
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "0")])
        return [b""]

    middleware = RequestMetrics(empty_app, Tally(families, 3600.0))
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/coocook/chefs", "QUERY_STRING": "", "sf.cache": "l1"}

    def start_response(status, headers, exc_info=None):
        return None

    def best(fn) -> float:
        return min(timeit.repeat(fn, number=args.number, repeat=5)) / args.number * 1e6

    bare = best(lambda: empty_app(environ, start_response))
    wrapped = best(lambda: middleware(environ, start_response))
    counter = families.http_requests.labels("GET", "/x", "2xx")
    histogram = families.http_duration.labels("GET", "/x")
    print(f"empty app {bare:.2f} us; with RequestMetrics {wrapped:.2f} us: "
          f"the middleware costs {wrapped - bare:.2f} us")
    print(f"one multiprocess Counter.inc {best(counter.inc):.2f} us, Histogram.observe "
          f"{best(lambda: histogram.observe(0.0003)):.2f} us, Gauge.inc {best(families.http_in_flight.inc):.2f} us")


if __name__ == "__main__":
    main()
