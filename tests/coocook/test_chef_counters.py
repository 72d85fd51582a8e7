"""The maintained active-chef count (chef_counters, PostgreSQL triggers of migration 0005) stays exact
through every kind of write, and the unfiltered list's `total` is that count on both backends."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import delete, insert, text, update

from backend.coocook.models import Chef
from tests.factories import BookingFactory, ChefFactory

LIST = "/api/v1/coocook/chefs"
PER_PAGE = itertools.cycle(range(1, 101))  # a query not asked before: never a cached answer


def counted(db) -> tuple[int | None, int]:
    """(the maintained count, or None without a row; the real count of active chefs)."""
    with db.engine.connect() as conn:
        maintained = conn.execute(text("SELECT active FROM chef_counters WHERE id = 1")).scalar()
        real = conn.execute(text("SELECT count(*) FROM chefs WHERE is_active")).scalar_one()
    return maintained, real


def assert_exact(db, client, expected: int) -> None:
    maintained, real = counted(db)
    assert real == expected
    if db.engine.dialect.name == "postgresql":
        assert (maintained or 0) == expected
    body = client.get(f"{LIST}?per_page={next(PER_PAGE)}").get_json()
    assert body["total"] == expected
    empty = client.get(f"{LIST}?page=999&per_page={next(PER_PAGE)}").get_json()  # the empty page's own count
    assert empty["items"] == [] and empty["total"] == expected


def test_total_follows_inserts_activity_changes_and_deletes(app, client, db, make_user):
    assert_exact(db, client, 0)
    chefs = ChefFactory.create_batch(3) + [ChefFactory(is_active=False)]
    assert_exact(db, client, 3)
    _admin, admin = make_user("admin")
    off = client.patch(f"{LIST}/{chefs[0].id}", json={"is_active": False}, headers=admin)
    assert off.status_code == 200, off.get_json()
    assert_exact(db, client, 2)
    assert client.patch(f"{LIST}/{chefs[0].id}", json={"is_active": False}, headers=admin).status_code == 200
    assert_exact(db, client, 2)  # no change, no count change
    assert client.patch(f"{LIST}/{chefs[3].id}", json={"is_active": True}, headers=admin).status_code == 200
    assert_exact(db, client, 3)
    db.session.execute(delete(Chef).where(Chef.id.in_([chefs[1].id, chefs[0].id])))  # one active, one not
    db.session.commit()
    assert_exact(db, client, 2)


def test_bulk_statements_and_a_rolled_back_write(app, client, db):
    db.session.execute(insert(Chef), [{"name": f"C{i}", "cuisine_type": "thai", "location": "Rome",
                                       "price_per_session": 10, "is_active": i % 4 != 0} for i in range(40)])
    db.session.commit()
    assert_exact(db, client, 30)
    db.session.execute(update(Chef).where(Chef.id <= 20).values(is_active=False))
    db.session.rollback()
    assert_exact(db, client, 30)
    db.session.execute(update(Chef).values(is_active=True))
    db.session.commit()
    assert_exact(db, client, 40)


@pytest.mark.pg_only
def test_truncate_empties_the_counter_and_a_missing_row_reads_as_zero(app, client, db):
    ChefFactory.create_batch(2)
    assert_exact(db, client, 2)
    db.session.execute(text("TRUNCATE chefs CASCADE"))  # no row triggers fire on TRUNCATE
    db.session.commit()
    assert counted(db) == (None, 0)
    assert_exact(db, client, 0)
    ChefFactory()
    assert_exact(db, client, 1)


@pytest.mark.pg_only
def test_booking_count_updates_fire_no_counter_trigger(app, db):
    chef = ChefFactory()
    BookingFactory(chef_id=chef.id)
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL track_functions = 'pl'"))
        conn.execute(update(Chef).where(Chef.id == chef.id).values(booking_count=Chef.booking_count + 1))
        calls = "SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions WHERE funcname LIKE 'chef_counters%'"
        assert conn.execute(text(calls)).scalar_one() == 0
        conn.execute(update(Chef).where(Chef.id == chef.id).values(is_active=False))
        assert conn.execute(text(calls)).scalar_one() == 1


@pytest.mark.pg_only
def test_the_seed_leaves_the_counter_exact(app, client, db):
    from backend.seeding import seed

    ChefFactory.create_batch(3)  # replaced by the seed's TRUNCATE and COPY
    db.session.commit()
    with app.app_context():
        result = seed("small")
    maintained, real = counted(db)
    assert maintained == real and 0 < real <= result["chefs"]
    assert_exact(db, client, real)
