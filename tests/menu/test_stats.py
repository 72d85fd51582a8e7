"""Admin stats: the figures, one statement, the 5-minute cache (per process or Redis), Redis down = database."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

import pytest
from sqlalchemy import insert

from backend.auth.models import User
from backend.common.models import utcnow
from backend.integrations.fakes import refused_url
from backend.menu import counters
from backend.menu.models import CanonicalMenu, ScanLog, Shop
from tests.conftest import make_app, statements
from tests.menu.conftest import load_catalog

URL = "/api/v1/admin/menu/stats"


def arrange(db) -> None:
    """3 shops (one inactive for 40 days), 7 shop scans, 5 identify logs, 183 dishes + 1 untranslated."""
    load_catalog(db)
    now = utcnow()
    db.session.execute(insert(User), [{"id": 900 + i, "email": f"s{i}@shop.test", "password_hash": "x",
                                       "name": f"S{i}", "role": "shop", "created_at": now} for i in range(3)])
    db.session.execute(insert(Shop), [{"id": i + 1, "owner_id": 900 + i, "name": f"Shop {i}", "address": "",
                                       "created_at": now} for i in range(3)])
    db.session.execute(insert(CanonicalMenu).values(id=1000, name_ko="마라탕", romanization="", category="soup",
                                                    spice_level=3, allergens=[], name_en="Malatang", source="shop",
                                                    created_at=now))
    rows, n = [], 0
    for shop, status, days in [(1, "pending", 0), (1, "pending", 1), (1, "approved", 2), (2, "approved", 5),
                               (2, "rejected", 10), (3, "approved", 40), (3, "rejected", 45)]:
        n += 1
        rows.append({"id": n, "menu_name": f"scan {n}", "source": "shop", "match_type": "none", "status": status,
                     "shop_id": shop, "submitted_by": 899 + shop, "created_at": now - dt.timedelta(days=days)})
    for _ in range(5):
        n += 1
        rows.append({"id": n, "menu_name": "김치찌개", "source": "identify", "match_type": "exact", "status": None,
                     "shop_id": None, "submitted_by": None, "created_at": now})
    db.session.execute(insert(ScanLog), rows)
    counters.add(db.session, counters.SCAN_LOGS, len(rows))  # as every writer of scan_logs does
    db.session.commit()


def test_stats_figures_in_one_statement(client, db, make_user, backend):
    arrange(db)
    _, admin = make_user("admin")
    response = client.get(URL, headers=admin)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["pending"], body["approved"], body["rejected"]) == (2, 3, 2)
    assert body["total_scans"] == 12 and body["active_shops"] == 2 and body["canonical_menus"] == 184
    assert body["translation_coverage"] == {"en": "183/184", "ja": "183/184", "zh": "183/184"}
    assert [s["id"] for s in body["latest_scans"]] == list(range(12, 2, -1))
    assert body["latest_scans"][0] == {**body["latest_scans"][0], "source": "identify", "status": None}
    assert body["source"] == "database"
    cached = client.get(URL, headers=admin)
    assert cached.get_json()["source"] == "cache"
    # What the cached call costs is the sign-in lookup; the stats themselves are one statement (+ SQLite's BEGIN).
    assert statements(response) - statements(cached) == 1 + (backend == "sqlite")
    assert cached.get_json()["latest_scans"] == body["latest_scans"]
    assert client.get(URL, headers=make_user("shop")[1]).status_code == 403


def test_empty_database_stats(client, make_user):
    _, admin = make_user("admin")
    body = client.get(URL, headers=admin).get_json()
    assert body["total_scans"] == 0 and body["latest_scans"] == [] and body["translation_coverage"]["en"] == "0/0"


def test_a_review_invalidates_the_stats(client, db, make_user):
    arrange(db)
    _, admin = make_user("admin")
    assert client.get(URL, headers=admin).get_json()["pending"] == 2
    assert client.post("/api/v1/admin/menu/scans/1/approve", json={"canonical_menu_id": 1},
                       headers=admin).status_code == 200
    body = client.get(URL, headers=admin).get_json()
    assert body["pending"] == 1 and body["approved"] == 4 and body["source"] == "database"


def test_stats_are_shared_through_redis(database_url, tmp_path, db, redis_url, make_user):
    arrange(db)
    _, admin = make_user("admin")
    prefix = f"menustats-{uuid.uuid4().hex[:8]}:"
    first = make_app(database_url, tmp_path, REDIS_URL=redis_url, CACHE_KEY_PREFIX=prefix).test_client()
    second = make_app(database_url, tmp_path, REDIS_URL=redis_url, CACHE_KEY_PREFIX=prefix).test_client()
    assert first.get(URL, headers=admin).get_json()["source"] == "database"
    shared = second.get(URL, headers=admin).get_json()  # another worker: Redis has it
    assert shared["source"] == "cache" and shared["pending"] == 2


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_redis_down_serves_from_the_database_with_a_warning(database_url, tmp_path, db, make_user, caplog):
    arrange(db)
    _, admin = make_user("admin")
    down = refused_url().replace("http://", "redis://")
    client = make_app(database_url, tmp_path, REDIS_URL=down).test_client()
    with caplog.at_level(logging.WARNING):
        response = client.get(URL, headers=admin)
    assert response.status_code == 200 and response.get_json()["source"] == "database"
    assert response.get_json()["pending"] == 2
    assert any("menu stats: Redis unavailable" in r.getMessage() for r in caplog.records)


def test_the_scan_total_is_kept_exact_by_its_writers(client, db, make_user, app):
    from sqlalchemy import func, select

    from backend.menu.scanlog import scan_log
    from tests.menu.conftest import identify

    load_catalog(db)
    _, owner = make_user("shop")
    _, admin = make_user("admin")
    shop = client.post("/api/v1/menu/shops", json={"name": "S"}, headers=owner).get_json()
    for name in ["김치찌개", "치즈떡볶이", "마라탕"]:
        identify(client, name)
        client.post("/api/v1/menu/scans", json={"shop_id": shop["id"], "menu_name": name}, headers=owner)
    with app.app_context():
        scan_log().flush()
    db.session.rollback()
    counted = db.session.execute(select(func.count()).select_from(ScanLog)).scalar_one()
    assert counted == 6
    assert client.get(URL, headers=admin).get_json()["total_scans"] == counted
