"""Render one page of real exports to PNG for the docs: `python -m scripts.export_samples` (needs pdftoppm).

- docs/images/export-my-bookings.png: page 1 of a `my_bookings` export of a Japanese-named user
  with chefs named in Korean, Japanese and Chinese, one with a long unbroken name (wrapped);
- docs/images/export-kpi-report.png: page 1 of an `admin_kpi_report` (charts) over the last 30
  days of --database-url (default: the `make bench` database, instance/bench-large.db), as its
  first admin.
The PDFs are made through the real job path (scripts.bench_exports.export_once).
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import insert, select, update

from scripts.bench_exports import setup
from scripts.server import ROOT

IMAGES = ROOT / "docs" / "images"


def to_png(pdf: Path, target: Path, dpi: int = 80) -> None:
    """Page 1 of `pdf` as the PNG `target`."""
    stem = target.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
                   check=True)


def export_file(app, user_id: int, kind: str, params: dict) -> Path:
    """Export through the job path as `user_id`; the stored file."""
    from backend.auth.models import User
    from backend.common.actor import Actor, Role
    from backend.exports import services, storage
    from backend.exports.models import Export
    from backend.extensions import db

    with app.test_request_context():
        role, name = db.session.execute(select(User.role, User.name).where(User.id == user_id)).one()
        body = services.create_export(Actor(user_id, Role(role), "sample@example.com", name), kind, params)
        stored = db.session.execute(select(Export.stored_name).where(Export.id == body["id"])).scalar_one()
        path = storage.path_of(stored)
        db.session.remove()
    return path


def main() -> None:
    """Make both PNGs."""
    ap = argparse.ArgumentParser(prog="python -m scripts.export_samples", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default=f"sqlite:///{ROOT / 'instance' / 'bench-large.db'}")
    args = ap.parse_args()
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sf-samples-") as tmp:
        app, user_id, params = setup(45, Path(tmp))
        from backend.coocook.models import Booking, Chef
        from backend.extensions import db

        with app.app_context():
            long_name = "王小明" + "的私房菜" * 4 + "Seoul-Tokyo-Taipei-" * 2 + "X" * 20
            chef_id = db.session.execute(insert(Chef).values(name=long_name[:120], bio="", cuisine_type="x",
                                                             location="Taipei", price_per_session=90.0)
                                         .returning(Chef.id)).scalar_one()
            ids = db.session.execute(select(Booking.id).order_by(Booking.id)).scalars().all()
            first = ids[0:18:6]  # three different days (six bookings a day in setup), so no slot clash
            db.session.execute(update(Booking).where(Booking.id.in_(first)).values(chef_id=chef_id, slot="lunch",
                                                                                   status="confirmed"))
            db.session.commit()
            db.session.remove()
        to_png(export_file(app, user_id, "my_bookings", params), IMAGES / "export-my-bookings.png")
    with tempfile.TemporaryDirectory(prefix="sf-samples-") as tmp:
        from backend import create_app
        from backend.auth.models import User

        app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "EXPORTS_DIR": tmp, "JOBS_IMMEDIATE": True,
                          "CACHE_GENERATIONS_PATH": str(Path(tmp) / "gen")})
        with app.app_context():
            admin = db.session.execute(select(User.id).where(User.role == "admin").order_by(User.id)).scalar_one()
            db.session.remove()
        today = dt.datetime.now(dt.UTC).date()
        period = {"from": (today - dt.timedelta(days=29)).isoformat(), "to": today.isoformat()}
        to_png(export_file(app, admin, "admin_kpi_report", period), IMAGES / "export-kpi-report.png")
    print(f"wrote {IMAGES / 'export-my-bookings.png'} and {IMAGES / 'export-kpi-report.png'}")


if __name__ == "__main__":
    main()
