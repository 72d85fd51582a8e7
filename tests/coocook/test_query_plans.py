"""Query plans of the hot reads: every statement a request runs uses an index and never scans the whole
of chefs, bookings or reviews; list pages take their order from the index (no sort step), so a cursor
page deep in the list costs what page 1 costs.

The SQL is not rewritten here: it is captured from the engine while real requests run, then EXPLAINed
with the same parameters on a database holding a few thousand chefs and tens of thousands of
bookings, with fresh planner statistics (ANALYZE), so the planner chooses as it would in production.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re

import pytest
from sqlalchemy import event, insert

from backend.auth import services as auth_services
from backend.auth.models import AuthToken, User
from backend.coocook.models import Booking, Chef, Review
from backend.database import PREPARED, _prepared_forms, own_tables
from backend.extensions import db as _db
from tests.conftest import BACKENDS, make_app, wipe

CHEFS, USERS, BOOKINGS, REVIEWS, TOKENS = 3000, 2000, 30000, 6000, 4000
CUISINES = ["italian", "french", "korean", "japanese", "mexican", "indian", "thai", "spanish", "greek",
            "vietnamese", "lebanese", "american"]
LOCATIONS = ["Seoul", "Busan", "Tokyo", "Osaka", "Paris", "Lyon", "London", "Berlin", "Madrid", "Rome",
             "New York", "Chicago", "Austin", "Toronto", "Sydney", "Melbourne", "Lisbon", "Vienna"]
BIG_TABLES = ("chefs", "bookings", "reviews", "auth_tokens")
POPULAR_CHEF, HEAVY_USER, LIGHT_USER = 7, 2, 3
API = "/api/v1/coocook"
NULLCACHE_WARNING = "ignore:Flask-Caching. CACHE_TYPE is set to NullCache:UserWarning"
pytestmark = pytest.mark.filterwarnings(NULLCACHE_WARNING)


def seed(session) -> None:
    """Realistic skew: chef 7 (owned by user 1, a chef account) is very popular; user 2 books a lot;
    thousands of (expired) tokens, so the auth lookup that runs first in every request is checked too."""
    rng = random.Random(7)
    now = dt.datetime(2026, 1, 1)
    session.execute(insert(User), [
        {"id": i, "email": f"u{i}@plans.test", "password_hash": "x", "name": f"U {i}",
         "role": "chef" if i == 1 else "user", "created_at": now} for i in range(1, USERS + 1)])
    session.execute(insert(Chef), [
        {"id": i, "user_id": 1 if i == POPULAR_CHEF else None, "name": f"Chef {i}", "bio": "",
         "cuisine_type": rng.choice(CUISINES), "location": rng.choice(LOCATIONS),
         "price_per_session": round(rng.uniform(40, 400), 2), "rating": round(rng.uniform(0, 5), 2),
         "rating_count": rng.randrange(100), "is_active": rng.random() > 0.02, "booking_count": 0,
         "created_at": now - dt.timedelta(minutes=rng.randrange(10**6))} for i in range(1, CHEFS + 1)])
    bookings, per_chef = [], {}
    for i in range(BOOKINGS):
        chef = POPULAR_CHEF if i % 3 == 0 else 1 + i % CHEFS
        k = per_chef[chef] = per_chef.get(chef, -1) + 1  # a chef's bookings walk the calendar: no slot clash
        bookings.append({"id": i + 1, "user_id": HEAVY_USER if i % 5 == 0 else rng.randrange(3, USERS + 1),
                         "chef_id": chef, "date": dt.date(2026, 1, 1) + dt.timedelta(days=k // 2),
                         "slot": ("lunch", "dinner")[k % 2], "guests": 2, "status": "completed", "price": 100.0,
                         "created_at": now, "updated_at": now})
    session.execute(insert(Booking), bookings)
    session.execute(insert(Review), [
        {"booking_id": b["id"], "chef_id": b["chef_id"], "user_id": b["user_id"], "rating": rng.randint(1, 5),
         "comment": "", "created_at": now - dt.timedelta(minutes=i)} for i, b in enumerate(bookings[:REVIEWS])])
    session.execute(insert(AuthToken), [
        {"user_id": 1 + i % USERS, "token_hash": f"{i:064x}", "created_at": now, "expires_at": now}
        for i in range(TOKENS)])
    session.commit()


@pytest.fixture(scope="module", params=BACKENDS)
def big(request, database_urls, tmp_path_factory):
    """An uncached app on a seeded, analysed database (module scope: seeded once per backend)."""
    app = make_app(database_urls(request.param), tmp_path_factory.mktemp("plans"), CACHE_TYPE="NullCache")
    with app.app_context():
        seed(_db.session)
        if _db.engine.dialect.name == "postgresql":
            for table in ("users", "chefs", "bookings", "reviews"):
                _db.session.execute(_db.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
            _db.session.commit()
            with _db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql(f"VACUUM ANALYZE {own_tables(_db.engine, _db.metadata)}")  # not others' schemas
        else:
            _db.session.execute(_db.text("ANALYZE"))
            _db.session.commit()
        app.plan_tokens = {name: auth_services.issue_token(user_id)["token"]
                           for name, user_id in (("heavy", HEAVY_USER), ("light", LIGHT_USER), ("chef", 1))}
        _db.session.remove()
    yield app
    wipe(app)


def captured(app, url: str, token: str | None = None) -> list[tuple[str, object]]:
    """(statement, parameters) of every SELECT the request ran, auth lookup included.

    Statements run as prepared statements (database.PREPARED) are noted in `app.prepared`, so that
    check_plans also checks the generic plan they run on.
    """
    seen = []
    with app.app_context():
        engine = _db.engine
    app.prepared = getattr(app, "prepared", set())

    def listener(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))
            if context.execution_options.get(PREPARED):
                app.prepared.add(statement)

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = app.test_client().get(url, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200, response.get_json()
    assert seen
    app.last_response = response
    return seen


def pg_plan(conn, statement, parameters) -> dict:
    (plan,) = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar_one()
    return (plan if isinstance(plan, dict) else json.loads(plan))["Plan"]


def pg_generic_plan(conn, statement, parameters) -> dict:
    """The plan a prepared statement runs on (the app's connections force the generic plan)."""
    prepare, execute = _prepared_forms(statement)
    name = prepare.split()[1]  # the app may hold this one on the same pooled connection: use another name
    conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
    conn.exec_driver_sql(prepare.replace(name, "plan_check", 1))
    try:
        return pg_plan(conn, execute.replace(name, "plan_check", 1), parameters)
    finally:
        conn.exec_driver_sql("DEALLOCATE plan_check")


def flatten(node: dict) -> list[dict]:
    return [node, *(n for child in node.get("Plans", []) for n in flatten(child))]


# The one statement allowed to read every active chef: the `total` of the unfiltered list (a count
# over chefs with no bound parameter; every filter is a bound parameter). Counting 98% of a table
# costs O(rows) by any plan (PostgreSQL rightly picks a sequential scan); the response cache is what
# keeps it off the hot path.
def is_unfiltered_chef_total(statement: str) -> bool:
    return "count(" in statement and "FROM chefs" in statement and "?" not in statement and "%(" not in statement


def sqlite_unbounded_sorts(rows) -> list[str]:
    """TEMP B-TREE sorts fed straight by a table (all matching rows sorted), not by a LIMITed subquery."""
    bad = []
    for node_id, parent, _, detail in rows:
        if "TEMP B-TREE" in detail:
            siblings = [d for i, p, _, d in rows if p == parent and i != node_id]
            if any(re.match(r"(SCAN|SEARCH) (?!anon_)\w+", d) for d in siblings):
                bad.append(detail)
    return bad


def pg_unbounded_sort(node: dict) -> bool:
    """A Sort whose input reaches a table scan without passing a Limit (it sorts every matching row)."""
    def reaches_table(n: dict) -> bool:
        if n["Node Type"] == "Limit":
            return False
        return "Relation Name" in n or any(reaches_table(c) for c in n.get("Plans", []))

    if node["Node Type"] in ("Sort", "Incremental Sort") and any(reaches_table(c) for c in node.get("Plans", [])):
        return True
    return any(pg_unbounded_sort(c) for c in node.get("Plans", []))


def check_plans(app, statements, ordered: bool) -> None:
    """Each statement: an index used, no full scan of a big table; `ordered`: no sort of all matching rows
    (the index hands rows over in order, so LIMIT stops early and depth costs nothing)."""
    with app.app_context(), _db.engine.connect() as conn:
        for statement, parameters in statements:
            full_scan_ok = is_unfiltered_chef_total(statement)
            if conn.dialect.name == "sqlite":
                rows = list(conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
                text = "\n".join(r[3] for r in rows)
                if not full_scan_ok:
                    for _, _, _, detail in rows:
                        assert not re.match(rf"SCAN ({'|'.join(BIG_TABLES)})\b", detail), \
                            f"full scan:\n{text}\n{statement}"
                assert re.search(r"USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY", text), f"{text}\n{statement}"
                if ordered:
                    assert not sqlite_unbounded_sorts(rows), f"sorts every matching row:\n{text}\n{statement}"
                continue
            plans = [pg_plan(conn, statement, parameters)]
            if statement in getattr(app, "prepared", ()):
                plans.append(pg_generic_plan(conn, statement, parameters))
            for plan in plans:
                nodes = flatten(plan)
                summary = [(n["Node Type"], n.get("Relation Name"), n.get("Index Name")) for n in nodes]
                if not full_scan_ok:
                    for node in nodes:
                        assert not (node["Node Type"] == "Seq Scan" and node.get("Relation Name") in BIG_TABLES), \
                            f"full scan: {summary}\n{statement}"
                    assert any("Index" in n["Node Type"] for n in nodes), f"{summary}\n{statement}"
                if ordered:
                    assert not pg_unbounded_sort(plan), f"sorts every matching row: {summary}\n{statement}"


def prepared_on_postgresql(app, statements) -> bool:
    """On PostgreSQL these statements ran prepared (so check_plans checked their generic plans too)."""
    with app.app_context():
        postgres = _db.engine.dialect.name == "postgresql"
    return not postgres or all(s in app.prepared for s, _ in statements if "FROM chefs" in s)


@pytest.mark.parametrize("sort", ["rating", "-rating", "price", "-price", "newest"])
def test_chef_list_each_sort_and_its_cursor_page(big, sort):
    first = captured(big, f"{API}/chefs?sort={sort}&per_page=20")
    assert prepared_on_postgresql(big, first)
    check_plans(big, first, ordered=True)
    cursor = big.last_response.get_json()["next_cursor"]
    assert cursor
    for _ in range(3):  # a few pages deep: the keyset predicate, not an offset
        deeper = captured(big, f"{API}/chefs?sort={sort}&per_page=100&cursor={cursor}")
        cursor = big.last_response.get_json()["next_cursor"]
    assert any("<" in s or ">" in s for s, _ in deeper)
    assert prepared_on_postgresql(big, deeper)
    check_plans(big, deeper, ordered=True)


@pytest.mark.parametrize("query", ["cuisine=Italian", "location=seoul"])
def test_chef_list_filters_and_their_cursor_pages(big, query):
    statements = captured(big, f"{API}/chefs?{query}")
    items = big.last_response.get_json()["items"]
    assert items and all(query.split("=")[1].lower() in (c["cuisine_type"], c["location"].lower()) for c in items)
    check_plans(big, statements, ordered=True)
    cursor = big.last_response.get_json()["next_cursor"]
    assert cursor
    check_plans(big, captured(big, f"{API}/chefs?{query}&cursor={cursor}"), ordered=True)


def test_chef_list_two_filters_use_indexes(big):
    # Both filters: the planner may intersect the two indexes and sort the few rows left.
    check_plans(big, captured(big, f"{API}/chefs?cuisine=korean&location=Tokyo"), ordered=False)


def test_chef_detail_latest_reviews(big):
    statements = captured(big, f"{API}/chefs/{POPULAR_CHEF}")
    assert prepared_on_postgresql(big, statements)
    assert len(big.last_response.get_json()["latest_reviews"]) == 5
    assert any("reviews" in s for s, _ in statements)
    check_plans(big, statements, ordered=True)  # thousands of reviews: read 5 off the index, no sort
    check_plans(big, captured(big, f"{API}/chefs/{POPULAR_CHEF + 1}"), ordered=False)


def test_bookings_list_of_a_user(big):
    statements = captured(big, f"{API}/bookings?per_page=50", big.plan_tokens["heavy"])
    assert big.last_response.get_json()["total"] == BOOKINGS // 5
    check_plans(big, statements, ordered=True)
    cursor = big.last_response.get_json()["next_cursor"]
    check_plans(big, captured(big, f"{API}/bookings?per_page=50&cursor={cursor}", big.plan_tokens["heavy"]),
                ordered=True)
    check_plans(big, captured(big, f"{API}/bookings", big.plan_tokens["light"]), ordered=False)


def test_bookings_list_of_a_chef(big):
    statements = captured(big, f"{API}/bookings?per_page=50", big.plan_tokens["chef"])
    assert big.last_response.get_json()["total"] == len(range(0, BOOKINGS, 3))  # every 3rd booking is chef 7's
    check_plans(big, statements, ordered=False)  # mine OR my chef's: an index per side
