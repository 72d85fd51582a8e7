"""My assets: private, newest first, cursor pages, one statement a page, and plans that use the indexes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from backend.assets import listing
from backend.assets.models import Asset
from backend.extensions import db as _db
from tests.assets.conftest import ASSETS, upload
from tests.common import images_factory as make
from tests.conftest import statements


def test_each_user_lists_only_their_assets_in_cursor_pages(assets_app, make_user):
    client = assets_app.test_client()
    _, alice = make_user()
    _, bob = make_user()
    mine = [upload(client, alice, make.encode(make.two_halves(20 + i, 10), "PNG")).get_json()["id"] for i in range(5)]
    upload(client, bob, make.jpeg_with_exif())
    assert client.get(ASSETS).status_code == 401
    first = client.get(f"{ASSETS}?per_page=2", headers=alice)
    assert first.headers["Cache-Control"].startswith("private")
    body = first.get_json()
    assert body["total"] == 5 and body["page"] == 1 and len(body["items"]) == 2
    seen, cursor = [i["id"] for i in body["items"]], body["next_cursor"]
    while cursor:
        page = client.get(ASSETS, query_string={"per_page": 2, "cursor": cursor}, headers=alice).get_json()
        assert page["page"] is None and page["total"] == 5
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert seen == list(reversed(mine))
    assert client.get(ASSETS, headers=bob).get_json()["total"] == 1
    for bad in ("x", "W10", "WyJuZXdlc3QiLCAxLCAyXQ"):
        response = client.get(ASSETS, query_string={"cursor": bad}, headers=alice)
        assert response.status_code == 422 and "cursor" in response.get_json()["error"]["details"]["fields"]


def test_the_list_is_one_statement_whatever_the_page_size(assets_app, make_user):
    client = assets_app.test_client()
    _, alice = make_user()
    for i in range(4):
        upload(client, alice, make.encode(make.two_halves(20 + i, 10), "PNG"))
    one = client.get(f"{ASSETS}?per_page=1", headers=alice)
    hundred = client.get(f"{ASSETS}?per_page=100", headers=alice)
    assert len(hundred.get_json()["items"]) == 4
    assert statements(one) == statements(hundred)
    cursor = one.get_json()["next_cursor"]
    assert statements(client.get(ASSETS, query_string={"cursor": cursor, "per_page": 100}, headers=alice)) == \
        statements(one)


def _plan(conn, statement, values) -> str:
    compiled = statement.compile(dialect=conn.dialect)
    params = compiled.construct_params(values)
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}",
                                    tuple(params[name] for name in compiled.positiontup)).all()
        return " | ".join(str(r[-1]) for r in rows)
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # tiny test tables: ask whether the index can serve
    return " | ".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}", params).all())


def test_plans_use_the_assets_indexes(assets_app, make_user):
    make_user()
    when = dt.datetime(2026, 1, 1)
    shared = select(func.count()).select_from(Asset).where(Asset.content_hash == "ab" * 32)
    with assets_app.app_context(), _db.engine.connect() as conn, conn.begin():
        for statement, values in ((listing.OFFSET_PAGE, {"owner_id": 1, "limit": 21, "offset": 0}),
                                  (listing.KEYSET_PAGE, {"owner_id": 1, "limit": 21, "last_created": when,
                                                         "last_id": "f" * 36})):
            plan = _plan(conn, statement, values)
            assert "ix_assets_owner_created" in plan, plan
        plan = _plan(conn, shared, {})
        assert "ix_assets_content_hash" in plan, plan
