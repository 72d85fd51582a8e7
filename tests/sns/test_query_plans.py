"""Query plans: the due-post claim, the owner's post lists and the API-key lookup use their indexes.

The SQL is captured from the engine while the real code runs, then EXPLAINed with its parameters
on a table with a realistic mix (most posts published, a few scheduled) and fresh statistics.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, insert, text

from backend.apikeys.models import ApiKey
from backend.sns import tasks
from backend.sns.models import SnsAccount, SnsPost
from tests.apikeys.conftest import ME


@pytest.fixture
def loaded(app, db, make_user):
    """10 owners with an account each, 4,000 posts (1 in 20 scheduled and due); statistics refreshed.

    Returns (app, the first owner's auth header, that owner's account id).
    """
    now = dt.datetime(2026, 1, 1)
    owners = [make_user() for _ in range(10)]
    accounts = [db.session.execute(insert(SnsAccount).values(owner_id=u["id"], platform="x", handle="h",
                                                             credential="t", created_at=now)
                                   .returning(SnsAccount.id)).scalar_one() for u, _ in owners]
    # The first owner holds 1 % of the posts, as one user among many would (the others split the rest).
    which = [0 if i % 100 == 0 else 1 + i % 9 for i in range(4000)]
    db.session.execute(insert(SnsPost), [
        {"account_id": accounts[which[i]], "owner_id": owners[which[i]][0]["id"], "content": "c", "media": [],
         "status": "scheduled" if i % 20 == 0 else ("draft" if i % 7 == 0 else "published"),
         "scheduled_at": now, "next_attempt_at": now if i % 20 == 0 else None, "attempts": 0, "revision": 1,
         "created_at": now, "updated_at": now} for i in range(4000)])
    db.session.commit()
    analyze(db, "users", "sns_accounts", "sns_posts")
    return app, owners[0][1], accounts[0]


def analyze(db, *tables: str) -> None:
    """Fresh statistics for `tables` only: a bare ANALYZE on PostgreSQL would visit every schema of
    the database (other test runs' too) and can collide with their ANALYZE."""
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(text(f"ANALYZE {table}"))


def capture(app, action) -> list[tuple[str, object]]:
    """The statements `action()` sends to the database."""
    with app.app_context():
        from backend.extensions import db as app_db

        engine = app_db.engine
    seen: list[tuple[str, object]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return seen


def plan_text(app, statement: str, parameters) -> str:
    """The plan of one captured statement, as text that names the indexes it uses."""
    with app.app_context():
        from backend.extensions import db as app_db

        with app_db.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                (plan,) = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar_one()
                conn.rollback()
                return " | ".join(nodes(plan["Plan"]))
            return " | ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}",
                                                                        parameters))


def nodes(node: dict) -> list[str]:
    """A PostgreSQL plan as `Node Type on relation using index` lines, depth first."""
    line = f"{node['Node Type']} on {node.get('Relation Name', '-')} using {node.get('Index Name', '-')}"
    return [line] + [n for child in node.get("Plans", []) for n in nodes(child)]


def one(statements, needle: str) -> tuple[str, object]:
    """The single captured statement containing `needle`."""
    (found,) = [s for s in statements if needle in s[0]]
    return found


def test_the_due_post_claim_uses_the_status_schedule_index(loaded):
    loaded, _, _ = loaded

    def claim():
        with loaded.app_context():
            tasks.claim(50)

    statement, parameters = one(capture(loaded, claim), "UPDATE sns_posts")
    plan = plan_text(loaded, statement, parameters)
    assert "ix_sns_posts_status_next_attempt_at" in plan, plan
    assert "Seq Scan" not in plan and "SCAN sns_posts" not in plan, plan


def test_post_lists_use_the_owner_and_account_indexes(loaded, client):
    loaded, headers, account_id = loaded
    # With an account filter either index fits (posts of one account are that owner's): any index, no scan.
    # An owner with few posts may get a bitmap scan of either owner index and a small sort (PostgreSQL).
    owner = ("ix_sns_posts_owner_id_id", "ix_sns_posts_owner_id_status_id")
    cases = {(): owner, (("status", "draft"),): ("ix_sns_posts_owner_id_status_id",),
             (("account_id", account_id),): ("ix_sns_posts_account_id_id", "ix_sns_posts_owner_id_id")}
    for query, index in cases.items():
        statements = capture(loaded, lambda q=query: client.get("/api/v1/sns/posts", query_string=dict(q),
                                                                headers=headers))
        page = one(statements, "ORDER BY sns_posts.id DESC")
        plan = plan_text(loaded, *page)
        assert any(i in plan for i in index), (query, plan)
        assert "Seq Scan on sns_posts" not in plan and "SCAN sns_posts" not in plan, plan


def test_api_key_lookup_is_one_indexed_statement(loaded, client, db):
    loaded, headers, _ = loaded
    owner = db.session.execute(text("SELECT max(id) FROM users")).scalar_one()
    db.session.execute(insert(ApiKey), [{"user_id": owner, "name": "k", "prefix": f"{i:012x}", "secret_hash": "0" * 64,
                                         "scope_read": True, "scope_write": False, "scope_admin": False,
                                         "created_at": dt.datetime(2026, 1, 1)} for i in range(3000)])
    db.session.commit()
    analyze(db, "api_keys", "users")
    key = client.post("/api/v1/api-keys", json={"name": "k"}, headers=headers).get_json()["key"]
    client.get(ME, headers={"X-API-Key": key})  # the first use writes last_used_at
    statements = capture(loaded, lambda: client.get(ME, headers={"X-API-Key": key}))
    lookups = [s for s in statements if "FROM api_keys" in s[0]]
    assert len(lookups) == 1
    plan = plan_text(loaded, *lookups[0])
    assert "uq_api_keys_prefix" in plan or "sqlite_autoindex_api_keys" in plan, plan
    assert ApiKey.__table__.c.prefix.unique
