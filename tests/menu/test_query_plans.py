"""Query plans of the menu's reads, captured from real requests and EXPLAINed on an analysed database
holding thousands of dishes, 40,000 scan logs (5% in the queue) and 500 shops: every statement reaches
canonical_menus, menu_discoveries and scan_logs through an index, and queue pages take their order
from the partial index (no sort step)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import event, insert, text

from backend.auth import services as auth_services
from backend.auth.models import User
from backend.common.models import utcnow
from backend.database import own_tables
from backend.extensions import db as _db
from backend.menu.models import CanonicalMenu, MenuDiscovery, ScanLog, Shop
from backend.menu.seed import dish_rows, modifier_rows
from tests.conftest import BACKENDS, make_app, wipe

SCANS, SHOPS, EXTRA_DISHES = 40_000, 500, 5_000
pytestmark = pytest.mark.filterwarnings("ignore:Flask-Caching. CACHE_TYPE is set to NullCache:UserWarning")


def seed(session) -> None:
    now = utcnow()
    session.execute(insert(CanonicalMenu), dish_rows(now))
    from backend.menu.models import MenuModifier

    session.execute(insert(MenuModifier), modifier_rows())
    session.execute(insert(CanonicalMenu), [
        {"id": 1000 + i, "name_ko": f"가상메뉴{i}", "romanization": "", "category": "other", "spice_level": 0,
         "allergens": [], "source": "seed", "created_at": now} for i in range(EXTRA_DISHES)])
    session.execute(insert(MenuDiscovery), [
        {"name_key": f"발견{i}", "found": True, "answer": {}, "model": "m", "created_at": now} for i in range(2000)])
    session.execute(insert(User), [{"id": 1 + i, "email": f"o{i}@plans.test", "password_hash": "x", "name": "o",
                                    "role": "admin" if i == 0 else "shop", "created_at": now}
                                   for i in range(SHOPS + 1)])
    session.execute(insert(Shop), [{"id": 1 + i, "owner_id": 2 + i, "name": f"S{i}", "address": "", "created_at": now}
                                   for i in range(SHOPS)])
    statuses = ["pending", "approved", "rejected"]
    session.execute(insert(ScanLog), [
        {"id": i + 1, "menu_name": "김치찌개", "source": "shop" if i % 20 == 0 else "identify", "match_type": "exact",
         "status": statuses[i % 3] if i % 20 == 0 else None, "shop_id": 1 + i % SHOPS if i % 20 == 0 else None,
         "created_at": now - dt.timedelta(minutes=SCANS - i)} for i in range(SCANS)])
    session.commit()


@pytest.fixture(scope="module", params=BACKENDS)
def big(request, database_urls, tmp_path_factory):
    app = make_app(database_urls(request.param), tmp_path_factory.mktemp("menuplans"), CACHE_TYPE="NullCache",
                   MENU_CACHE_SIZE=0)
    with app.app_context():
        seed(_db.session)
        if _db.engine.dialect.name == "postgresql":
            with _db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql(f"VACUUM ANALYZE {own_tables(_db.engine, _db.metadata)}")  # not others' schemas
        else:
            _db.session.execute(text("ANALYZE"))
            _db.session.commit()
        app.admin_token = auth_services.issue_token(1)["token"]
        _db.session.remove()
    yield app
    wipe(app)


def captured(app, method: str, url: str, **kw) -> list[tuple[str, object]]:
    """(statement, parameters) of every SELECT/WITH the request ran, the sign-in lookup left out."""
    seen = []
    with app.app_context():
        engine = _db.engine

    def listener(conn, cursor, statement, parameters, context, executemany):
        head = statement.lstrip().upper()
        if (head.startswith("SELECT") or head.startswith("WITH")) and "auth_tokens" not in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = app.test_client().open(url, method=method, **kw)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code < 300, response.get_json()
    assert seen
    return seen


def plan(app, statement, parameters) -> str:
    """The plan as text: SQLite's EXPLAIN QUERY PLAN details, or PostgreSQL's JSON plan."""
    with app.app_context(), _db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            (raw,) = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).one()
            return json.dumps(raw if not isinstance(raw, str) else json.loads(raw))
        return "\n".join(r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))


def no_full_scan(app, plans: list[str], tables: tuple[str, ...]) -> None:
    for text_plan in plans:
        for table in tables:
            assert f"SCAN {table}\n" not in text_plan + "\n" and not text_plan.endswith(f"SCAN {table}"), text_plan
            assert f'"Node Type": "Seq Scan", "Parallel Aware": false, "Async Capable": false, ' \
                   f'"Relation Name": "{table}"' not in text_plan, text_plan


def test_identify_stages_use_the_unique_indexes(big):
    for name in ("김치찌개", "치즈돈까스", "치즈모르는것"):
        statements = captured(big, "POST", "/api/v1/menu/identify", json={"menu_name": name})
        # Not the identify's own: the modifier list, and the outbound client's once-per-process load
        # of admin-set provider credentials (a handful of rows, read whole).
        plans = [plan(big, s, p) for s, p in statements
                 if "menu_modifiers" not in s and "provider_credentials" not in s]
        no_full_scan(big, plans, ("canonical_menus", "menu_discoveries"))
        unique = ("uq_canonical_menus_name_ko", "uq_menu_discoveries_name_key",  # PostgreSQL's names, SQLite's
                  "sqlite_autoindex_canonical_menus", "sqlite_autoindex_menu_discoveries")
        assert all(any(index in p for index in unique) for p in plans), plans


def test_queue_pages_use_the_partial_index_without_sorting(big):
    headers = {"Authorization": f"Bearer {big.admin_token}"}
    for status in ("pending", "rejected"):
        statements = captured(big, "GET", f"/api/v1/admin/menu/scans?status={status}&per_page=50", headers=headers)
        plans = [plan(big, s, p) for s, p in statements]
        assert all("ix_scan_logs_status_id" in p for p in plans), plans
        page = plans[0]
        assert "TEMP B-TREE" not in page and '"Node Type": "Sort"' not in page, page
        no_full_scan(big, plans, ("scan_logs",))


def test_stats_reach_scan_logs_through_indexes(big):
    headers = {"Authorization": f"Bearer {big.admin_token}"}
    statements = captured(big, "GET", "/api/v1/admin/menu/stats", headers=headers)
    assert len(statements) == 1
    (stats_plan,) = [plan(big, s, p) for s, p in statements]
    assert "ix_scan_logs_status_id" in stats_plan and "ix_scan_logs_shop_id_created_at" in stats_plan
    if "Node Type" in stats_plan:  # PostgreSQL: the only pass over scan_logs rows is the 10-row backward walk
        assert '"Relation Name": "scan_logs"' not in stats_plan.replace('"Index Scan Backward"', "") or \
            "pk_scan_logs" in stats_plan
        assert '"Seq Scan", "Parallel Aware": false, "Async Capable": false, "Relation Name": "scan_logs"' \
            not in stats_plan
    else:
        assert "SCAN scan_logs USING COVERING INDEX" not in stats_plan  # no count(*) over the whole log
