"""Notification fan-out, measured per batch size: the figures behind NOTIFICATIONS_BATCH.

    python -m scripts.bench_fanout [--users 5000] [--batches 10,50,100,500,1000,5000] [--rounds 3]
                                   [--database-url postgresql://...] [--json PATH]

On a fresh migrated database (a temporary SQLite file, or a scratch schema on PostgreSQL) it makes
`--users` accounts, then for each batch size runs the `notifications.fanout` job to everyone (in
process, as the worker would) and records the total time and the longest single chunk: the total
is throughput, the longest chunk is how long the write lock (SQLite) is withheld from the API.
Each figure is the median of `--rounds` runs; notifications are deleted between runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import delete, insert

from backend import create_app
from backend.auth.models import User
from backend.extensions import db
from backend.notifications import delivery
from backend.notifications.models import Notification
from scripts.perf_common import postgres_schema

SCHEMA = "bench_fanout"


def _app(url: str, batch: int, workdir: Path):
    config = {"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "NOTIFICATIONS_BATCH": batch,
              "CACHE_GENERATIONS_PATH": str(workdir / "gens")}
    if not url.startswith("sqlite"):
        config["DB_SCHEMA"] = SCHEMA
    return create_app(config)


def _schema(url: str, create: bool) -> None:
    postgres_schema(url, SCHEMA, create)


def _run_once(app, users: int) -> dict[str, float]:
    chunk_ms: list[float] = []
    original = delivery.insert_chunk

    def timed(user_ids, content):
        started = time.perf_counter()
        try:
            return original(user_ids, content)
        finally:
            chunk_ms.append((time.perf_counter() - started) * 1000)

    with app.app_context():
        db.session.execute(delete(Notification))
        db.session.commit()
        delivery.insert_chunk = timed  # the job calls it through the module: time each chunk
        try:
            started = time.perf_counter()
            job = delivery.enqueue_fanout({"audience": "everyone"}, {"type": "announcement", "title": "bench",
                                                                      "body": "x" * 80, "data": {}})
            total = (time.perf_counter() - started) * 1000
        finally:
            delivery.insert_chunk = original
        assert job["status"] == "succeeded" and job["result"]["stored"] == users, job
        db.session.remove()
    return {"total_ms": total, "max_chunk_ms": max(chunk_ms), "chunks": len(chunk_ms)}


def main(argv: list[str] | None = None) -> dict:
    """Measure and print; returns the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--batches", default="10,50,100,500,1000,5000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--json", default="")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
        if not url.startswith("sqlite"):
            _schema(url, create=True)
        try:
            app = _app(url, 1, workdir)
            with app.app_context():
                upgrade()
                db.session.execute(insert(User), [{"email": f"u{i}@example.com", "password_hash": "x",
                                                   "name": f"U {i}", "role": "user"} for i in range(args.users)])
                db.session.commit()
                db.engine.dispose()
            figures = {}
            for batch in (int(b) for b in args.batches.split(",")):
                app = _app(url, batch, workdir)
                runs = [_run_once(app, args.users) for _ in range(args.rounds)]
                with app.app_context():
                    db.engine.dispose()
                figures[batch] = {key: round(statistics.median(r[key] for r in runs), 1)
                                  for key in ("total_ms", "max_chunk_ms", "chunks")}
                f = figures[batch]
                print(f"batch {batch:>5}: {args.users} users in {f['total_ms']:>8.1f} ms "
                      f"({args.users / f['total_ms'] * 1000:>8.0f}/s), longest chunk {f['max_chunk_ms']:.1f} ms")
        finally:
            if not url.startswith("sqlite"):
                _schema(url, create=False)
    result = {"backend": url.split(":", 1)[0], "users": args.users, "rounds": args.rounds, "batches": figures}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
