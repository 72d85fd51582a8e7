"""Time and memory of a large PDF export: `python -m scripts.bench_exports [--rows 1000 10000]`.

For each row count, on a fresh SQLite database in a temp dir: one user with that many bookings
(three chefs with Korean, Japanese and Chinese names), then the `my_bookings` export through the
real job path (`jobs.services.enqueue` with JOBS_IMMEDIATE: row, job, progress events, file, rename),
measured twice: once plain for the wall time, once under tracemalloc for the peak of Python
allocations. ru_maxrss (the process's high-water mark, font parsing included) is printed after
each row count. Prints one JSON line per row count.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from sqlalchemy import insert, select

NAMES = ("김민준", "田中太郎", "王小明")


def setup(rows: int, workdir: Path):
    """An app on a migrated database with one user holding `rows` bookings; (app, user id, period)."""
    from flask_migrate import upgrade

    from backend import create_app
    from backend.auth.models import User
    from backend.common.models import utcnow
    from backend.coocook.models import Booking, Chef
    from backend.extensions import db

    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}",
                      "CACHE_GENERATIONS_PATH": str(workdir / "gen"), "EXPORTS_DIR": str(workdir / "exports")})
    today = dt.datetime.now(dt.UTC).date()
    with app.app_context():
        upgrade()
        now = utcnow()
        user_id = db.session.execute(insert(User).values(email="bench@example.com", password_hash="x", name=NAMES[1],
                                                         role="user", created_at=now).returning(User.id)).scalar_one()
        chefs = [db.session.execute(insert(Chef).values(name=n, bio="", cuisine_type="x", location="Seoul",
                                                        price_per_session=90.0).returning(Chef.id)).scalar_one()
                 for n in NAMES]
        batch, days = [], 0
        for i in range(rows):
            day, rest = divmod(i, 2 * len(chefs))
            days = max(days, day)
            batch.append({"user_id": user_id, "chef_id": chefs[rest // 2], "date": today - dt.timedelta(days=day + 1),
                          "slot": ("lunch", "dinner")[rest % 2], "guests": 2, "status": "completed", "price": 90.0,
                          "created_at": now, "updated_at": now})
        for start in range(0, rows, 5000):
            db.session.execute(insert(Booking), batch[start:start + 5000])
        db.session.commit()
        db.session.remove()
    return app, user_id, {"from": (today - dt.timedelta(days=days + 2)).isoformat(), "to": today.isoformat()}


def export_once(app, user_id: int, params: dict) -> dict:
    """One export through the job path; its row afterwards."""
    from backend.common.actor import Actor, Role
    from backend.exports import services, storage
    from backend.exports.models import Export
    from backend.extensions import db

    with app.test_request_context():
        actor = Actor(user_id, Role.USER, "bench@example.com", NAMES[1])
        body = services.create_export(actor, "my_bookings", params)
        row = db.session.execute(select(Export.status, Export.rows, Export.size, Export.stored_name)
                                 .where(Export.id == body["id"])).one()
        pages = len(re.findall(rb"/Type /Page\b(?!s)", storage.path_of(row.stored_name).read_bytes()))
        db.session.remove()
    return {"status": row.status, "rows": row.rows, "bytes": row.size, "pages": pages}


def main() -> None:
    """Measure each row count; one JSON line each."""
    ap = argparse.ArgumentParser(prog="python -m scripts.bench_exports", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[1000, 10000])
    args = ap.parse_args()
    for rows in args.rows:
        with tempfile.TemporaryDirectory(prefix="sf-bench-exports-") as tmp:
            app, user_id, params = setup(rows, Path(tmp))
            started = time.perf_counter()
            result = export_once(app, user_id, params)
            seconds = time.perf_counter() - started
            tracemalloc.start()
            export_once(app, user_id, params)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(json.dumps({"rows": rows, **result, "seconds": round(seconds, 2),
                              "tracemalloc_peak_mb": round(peak / 2**20, 1),
                              "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}),
                  flush=True)


if __name__ == "__main__":
    main()
