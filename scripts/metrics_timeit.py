"""Per-request cost of the metrics middleware in isolation, and of one prometheus_client multiprocess write.

    .venv/bin/python -m scripts.metrics_timeit [-n 100000]

Measures, best of five runs of `-n` calls each, in microseconds:
- `RequestMetrics` around an empty WSGI app whose request observer fires as the L1's does (route,
  0 statements), i.e. everything a request pays for the metrics: two clock reads, the start_response
  wrapper, the thread-local, the route look-up and the tally's dict updates;
- the same empty app alone (the difference is the middleware);
- one `Counter.inc()`, one `Histogram.observe()` and one `Gauge.inc()` on multiprocess values: what
  each write to the mmap files costs (why the request path counts in dicts and flushes once a second).
Noise-resistant next to `scripts/ab.py`: no sockets, no database, no wrk. The box's load shows in
every figure alike, so compare them with each other.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import timeit

from flask import Flask


def main() -> None:
    """Print the per-call costs."""
    ap = argparse.ArgumentParser(prog="python -m scripts.metrics_timeit", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--number", type=int, default=100_000)
    args = ap.parse_args()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="sf-metrics-timeit-")
    from backend.observability import families
    from backend.observability.metrics import RequestMetrics, _observe
    from backend.observability.tally import Tally

    app = Flask(__name__)
    app.add_url_rule("/api/v1/coocook/chefs", "coocook.list_chefs", lambda: "")

    def empty_app(environ, start_response):
        _observe("coocook.list_chefs", 0, 0.0)  # what the L1 tells the request observers on a hit
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "0")])
        return [b""]

    middleware = RequestMetrics(empty_app, app, Tally(families, 3600.0))
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
