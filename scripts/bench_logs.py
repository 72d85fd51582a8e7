"""Log store query times on a million rows: `python -m scripts.bench_logs [--rows N] [--pg URL]`.

Fills `log_entries` of a fresh SQLite file (and, with --pg, a fresh schema of that PostgreSQL
database) with N rows spread over 14 days (60% request lines, 30% warnings, 10% errors; 40
paths; messages from 200 templates), runs ANALYZE, then times each kind of search the admin
API runs (the service functions themselves, in an app context) and the analytics over the
last 24 hours: the median of --repeat runs, in ms. Prints a table and writes
reports/bench-logs-<timestamp>.json. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "bench_logs"
WORDS = ("chef", "booking", "provider", "timeout", "cache", "token", "payment", "menu", "upload", "session",
         "review", "export", "queue", "worker", "database", "redis", "slot", "profile", "image", "invoice")


def rows(n: int, seed: int = 7):
    """Synthetic rows, newest last (the order a live system writes them)."""
    rng = random.Random(seed)
    templates = [f"{rng.choice(WORDS)} {rng.choice(WORDS)} failed: {rng.choice(WORDS)} %d" for _ in range(200)]
    paths = [f"/api/v1/{rng.choice(WORDS)}s/{i}" for i in range(40)]
    start = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=14)
    step = 14 * 86400 / n
    for i in range(n):
        roll = rng.random()
        level = "info" if roll < 0.6 else "warning" if roll < 0.9 else "error"
        path = rng.choice(paths)
        yield {"created_at": start + dt.timedelta(seconds=i * step), "level": level,
               "logger": "backend.request" if level == "info" else "backend.app",
               "message": "request" if level == "info" else rng.choice(templates) % rng.randrange(1000),
               "request_id": f"{i:032x}", "method": "GET", "path": path,
               "status": 200 if level == "info" else (500 if level == "error" else 404),
               "duration_ms": rng.random() * 50, "user_id": rng.randrange(1, 5000) if rng.random() < 0.5 else None,
               "error_type": "TimeoutError" if level == "error" else None, "data": {}}


def fill(engine, n: int, batch: int = 20000) -> float:
    """Insert n rows in batches; returns seconds."""
    from backend.logs.models import LogEntry

    started = time.perf_counter()
    chunk: list[dict] = []
    for row in rows(n):
        chunk.append(row)
        if len(chunk) == batch:
            with engine.begin() as conn:
                conn.execute(insert(LogEntry), chunk)
            chunk = []
    if chunk:
        with engine.begin() as conn:
            conn.execute(insert(LogEntry), chunk)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE log_entries"))
    return time.perf_counter() - started


def timed(fn, repeat: int) -> float:
    """Median ms of `repeat` calls (after one warm-up call)."""
    fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 2)


def cases(engine) -> dict:
    """Name -> a call of the service as the API makes it."""
    from backend.logs import services

    with engine.connect() as conn:
        mid = conn.execute(text("SELECT request_id, created_at FROM log_entries WHERE id = "
                                "(SELECT max(id) / 2 FROM log_entries)")).first()
    request_id, middle = mid[0], mid[1]
    if isinstance(middle, str):
        middle = dt.datetime.fromisoformat(middle)
    deep = services.search(until=middle, per_page=50)["next_cursor"]
    return {
        "newest page (per_page=50)": lambda: services.search(per_page=50),
        "level=error": lambda: services.search(level="error"),
        "path=/api/v1/...": lambda: services.search(path="/api/v1/chefs/3"),
        "request_id=": lambda: services.search(request_id=request_id),
        "since/until 1 h, 7 days ago": lambda: services.search(since=middle, until=middle + dt.timedelta(hours=1)),
        "cursor page in the middle": lambda: services.search(cursor=deep),
        "q=timeout (common word)": lambda: services.search(q="timeout"),
        "q=zzzz (no match)": lambda: services.search(q="zzzz"),
        "q=timeout + level=error + 1 day": lambda: services.search(
            q="timeout", level="error", since=middle - dt.timedelta(days=1), until=middle),
        "analytics, last 24 h (hour buckets)": lambda: services.analytics(),
    }


def run(name: str, url: str, args, schema: str | None = None) -> dict:
    """Build, fill and time one database."""
    from flask_migrate import upgrade

    from backend import create_app
    from backend.extensions import db

    config = {"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "LOG_STORE_ENABLED": False,
              "CACHE_GENERATIONS_PATH": str(Path(tempfile.mkdtemp()) / "gen")}
    if schema:
        config["DB_SCHEMA"] = schema
    app = create_app(config)
    with app.app_context():
        upgrade()
        engine = db.engine
        fill_s = fill(engine, args.rows)
        print(f"{name}: {args.rows:,} rows in {fill_s:.1f} s", flush=True)
        result = {"rows": args.rows, "fill_seconds": round(fill_s, 1), "median_ms": {}}
        for label, fn in cases(engine).items():
            result["median_ms"][label] = timed(fn, args.repeat)
            print(f"  {label:<40} {result['median_ms'][label]:>9.2f} ms", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    """Fill and time SQLite (and PostgreSQL with --pg)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg", help=f"a PostgreSQL server URL; database {BENCH_DB} is created there, dropped after")
    args = parser.parse_args(argv)
    report = {"command": "python -m scripts.bench_logs " + " ".join(argv or []), "at": time.time()}
    report["sqlite"] = run("sqlite", f"sqlite:///{Path(tempfile.mkdtemp()) / 'logs.db'}", args)
    if args.pg:
        import sqlalchemy as sa

        from backend.config import normalise_database_url

        # A database of its own (not a schema of a shared one): a million rows must not slow down
        # anyone's database-wide VACUUM or schema drops.
        server = sa.create_engine(normalise_database_url(args.pg), isolation_level="AUTOCOMMIT")
        url = sa.engine.make_url(normalise_database_url(args.pg)).set(database=BENCH_DB)
        with server.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB}"))
            conn.execute(text(f"CREATE DATABASE {BENCH_DB}"))
        try:
            report["postgresql"] = run("postgresql", url.render_as_string(hide_password=False), args)
        finally:
            with server.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)"))
    out = ROOT / "reports" / f"bench-logs-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
