"""Query plans of the dashboard reads (SQLite): each statement goes through an index, none scans a big table.

The statements are the services' own (module-level Core statements and the KPI function's, captured
from the engine), EXPLAINed with their parameters after ANALYZE on a few thousand bookings.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, insert, text

from backend.auth.models import User
from backend.common.actor import Actor, Role
from backend.coocook.models import Booking, Chef
from backend.dashboard import kpis, services
from backend.extensions import db as app_db
from tests.dashboard.conftest import add_history

pytestmark = pytest.mark.sqlite_only


def plans(app, run) -> list[tuple[str, str]]:
    """(statement, its EXPLAIN QUERY PLAN text) for each statement `run()` issues."""
    seen: list[tuple[str, tuple]] = []
    with app.app_context():
        engine = app_db.engine

        def capture(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", capture)
        try:
            run()
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        out = []
        with engine.connect() as conn:
            for statement, parameters in seen:
                rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
                out.append((statement, " | ".join(r[-1] for r in rows)))
        return out


def test_dashboard_statements_use_indexes(app, db, people):
    user, chef = people["user"][0], people["chef"][0]
    others = [Chef(name=f"c{i}", bio="", cuisine_type="x", location="y", price_per_session=1.0) for i in range(20)]
    db.session.add_all(others)
    db.session.commit()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    # Spread over 200 accounts, as real bookings are: with one account holding them all, ANALYZE
    # (ours, or statistics an earlier test left in the session's database) rightly calls the
    # user_id index unselective and the planner scans.
    db.session.execute(insert(User), [{"email": f"plan{i}@example.com", "password_hash": "x", "name": f"p{i}",
                                       "role": "user", "created_at": now} for i in range(200)])
    bookers = [row[0] for row in db.session.execute(text("SELECT id FROM users WHERE email LIKE 'plan%'"))]
    db.session.execute(insert(Booking), [
        {"user_id": bookers[i % len(bookers)], "chef_id": others[i % 20].id, "date": dt.date(2025, 1, 1) + dt.timedelta(
            days=i // 20), "slot": "dinner", "guests": 2, "status": "completed", "price": 10.0,
         "created_at": now - dt.timedelta(days=i // 10), "updated_at": now} for i in range(4000)])
    db.session.commit()
    add_history(db, user["id"], chef["chef_id"], 30)
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    actor = Actor(chef["id"], Role.CHEF, chef["email"], chef["name"])
    today = dt.datetime.now(dt.UTC).date()
    found = plans(app, lambda: (services.dashboard(actor), kpis.period_kpis(today - dt.timedelta(days=29), today)))
    assert len(found) == 14  # 5 user + 6 chef + 3 KPI statements
    for statement, plan in found:
        for table in ("bookings", "reviews", "users", "notifications", "exports", "meari_sessions", "chef_views"):
            assert f"SCAN {table}" not in plan.replace("SCAN TABLE", "SCAN"), (statement, plan)
        assert "USING" in plan, (statement, plan)
    joined = " ".join(plan for _, plan in found)
    for index in ("ix_bookings_created_at", "ix_users_created_at", "ix_exports_user_created",
                  "ix_reviews_chef_created"):
        assert index in joined, index
