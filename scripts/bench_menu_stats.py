"""Menu admin stats at scale: the one-statement query over SCALE=large scan logs (1,000,000), timed.

    python -m scripts.bench_menu_stats [--rounds 20] [--database-url postgresql://...] [--keep PATH]

On a fresh migrated database (a temporary SQLite file, or a scratch schema `bench_menu` on
PostgreSQL) it runs only the menu domain's large seed (dishes, 1,000 shops, 1,000,000 scan logs
through COPY / executemany, indexes built after the load), refreshes planner statistics, then times
`backend.menu.stats.compute()` (the uncached path: one statement) `--rounds` times and prints the
median, p95 and min with the query plan. The box is shared: quote the median of one run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import text

from backend import create_app
from backend.config import normalise_database_url
from backend.extensions import db
from backend.menu import stats
from backend.menu.seed import seed_menu
from backend.seeding import SCALES, SeedContext

SCHEMA = "bench_menu"


def _prepare(url: str, workdir: Path):
    config = {"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "CACHE_GENERATIONS_PATH": str(workdir / "gens")}
    if not url.startswith("sqlite"):
        engine = sa.create_engine(normalise_database_url(url))
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
            conn.exec_driver_sql(f"CREATE SCHEMA {SCHEMA}")
        engine.dispose()
        config["DB_SCHEMA"] = SCHEMA
    return create_app(config)


def main() -> None:
    """Seed, analyse, time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sf-menu-stats-"))
    url = args.database_url or f"sqlite:///{workdir / 'stats.db'}"
    app = _prepare(url, workdir)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SET LOCAL statement_timeout = 0"))
        ctx = SeedContext("large", SCALES["large"], random.Random(42), stats.utcnow())
        seed_menu(ctx)
        db.session.commit()
        print(f"seeded in {time.perf_counter() - started:.1f} s")
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        first = stats.compute()
        print({k: v for k, v in first.items() if k != "latest_scans"})
        times = []
        for _ in range(args.rounds):
            t = time.perf_counter()
            stats.compute()
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"{db.engine.dialect.name}: stats.compute() over {first['total_scans']:,} scan logs: "
              f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, min {times[0]:.1f} ms "
              f"({args.rounds} rounds)")
        postgres = db.engine.dialect.name == "postgresql"
        explain = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
        with db.engine.connect() as conn:
            since = stats.utcnow() - stats.dt.timedelta(days=stats.ACTIVE_DAYS)
            for row in conn.execute(text(explain + stats.statement(postgres)), {"since": since}):
                print("   ", " | ".join(str(c) for c in row))
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
