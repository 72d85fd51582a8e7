"""Cost of the monitoring parts: one evaluation tick per rule count, and the per-request recorder.

    python -m scripts.bench_monitoring [--rules 10,100] [--ticks 20] [--rounds 7]

On a temporary migrated SQLite file: serves a little traffic (chef list, products, health) in
process so the counters have series, creates N rules over every kind of source (never breached:
the figure is evaluation, not delivery), then runs `--ticks` evaluation ticks 30 s apart on an
injected clock and prints the median and the slowest. The recorder figure is `Recorder.record`
alone, best of 5 rounds of 200,000 calls; the request figure is in-process test-client GETs of
a view-cache hit with the recorder's hook on and off, in interleaved rounds (median per request).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
import timeit
from pathlib import Path

METRICS = ["http.error_rate", "http.p95_latency_ms", "http.request_rate", "jobs.queue_depth", "jobs.failed",
           "db.pool_waits", "provider.breaker_open", "health.status", "cache.view_hit_rate", "db.pool_checked_out"]


def tick_cost(rules: int, ticks: int, directory: Path) -> tuple[float, float]:
    """(median ms, max ms) of `ticks` evaluation ticks with `rules` rules."""
    from flask_migrate import upgrade

    from backend import create_app
    from backend.common.models import utcnow
    from backend.extensions import db
    from backend.monitoring.evaluate import evaluate_tick
    from backend.monitoring.models import AlertRule

    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / f'{rules}.db'}",
                      "CACHE_GENERATIONS_PATH": str(directory / f"gen-{rules}")})
    with app.app_context():
        upgrade()
        for i in range(rules):
            metric = METRICS[i % len(METRICS)]
            db.session.add(AlertRule(name=f"r{i}", metric=metric, comparison="gt", threshold=1e12, window_seconds=300,
                                     labels={"endpoint": "*"} if metric.startswith("http") and i % 2 else {},
                                     for_seconds=0, severity="warning", channels=[], cooldown_seconds=300))
        db.session.commit()
    client = app.test_client()
    for _ in range(100):
        client.get("/api/v1/coocook/chefs")
        client.get("/api/v1/products")
        client.get("/health")
    start, times = utcnow(), []
    for k in range(ticks + 1):
        began = time.perf_counter()
        with app.app_context():
            evaluate_tick(app, start + dt.timedelta(seconds=30 * k))
            db.session.remove()
        times.append((time.perf_counter() - began) * 1000)
    with app.app_context():
        db.engine.dispose()
    times = times[1:]  # the first tick has no past sample (no windowed values)
    return statistics.median(times), max(times)


def record_cost() -> float:
    """Microseconds per Recorder.record call."""
    from backend.monitoring.recorder import Recorder

    recorder, n = Recorder(None, 2.0), 200_000
    best = min(timeit.repeat(lambda: recorder.record("coocook.list_chefs", 200, 12.5, "hit"), number=n, repeat=5))
    return best / n * 1e6


def request_overhead(rounds: int, requests: int, directory: Path) -> tuple[float, float]:
    """(median us per request with the recorder's hook, without) over interleaved rounds, in process.

    A view-cache hit through Flask (the L1 off so every request reaches the hook): the cheapest
    path the hook runs on, so its share is the largest it can be.
    """
    from flask_migrate import upgrade

    from backend import create_app
    from backend.extensions import db

    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'req.db'}",
                      "CACHE_GENERATIONS_PATH": str(directory / "gen-req"), "RESPONSE_L1_SIZE": 0})
    with app.app_context():
        upgrade()
        db.session.remove()
    client = app.test_client()
    hooks = app.after_request_funcs[None]
    hook = next(f for f in hooks if f.__name__ == "_record")
    on, off = [], []
    for _ in range(200):
        client.get("/api/v1/coocook/chefs")
    for _ in range(rounds):
        for enabled, out in ((True, on), (False, off)):
            if enabled and hook not in hooks:
                hooks.append(hook)
            elif not enabled:
                hooks.remove(hook)
            began = time.perf_counter()
            for _ in range(requests):
                client.get("/api/v1/coocook/chefs")
            out.append((time.perf_counter() - began) / requests * 1e6)
    return statistics.median(on), statistics.median(off)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", default="10,100")
    parser.add_argument("--ticks", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sf-bench-monitoring-") as tmp:
        for rules in (int(r) for r in args.rules.split(",")):
            median, worst = tick_cost(rules, args.ticks, Path(tmp))
            print(f"{rules} rules: tick median {median:.1f} ms, slowest {worst:.1f} ms ({args.ticks} ticks)")
        with_hook, without = request_overhead(args.rounds, 2000, Path(tmp))
        print(f"view-cache hit through Flask: {with_hook:.1f} us with the recorder, {without:.1f} us without "
              f"(median of {args.rounds} interleaved rounds of 2000; ratio {with_hook / without:.3f})")
    print(f"recorder: {record_cost():.2f} us per request")


if __name__ == "__main__":
    main()
