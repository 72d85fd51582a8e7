"""The chef detail runs as a server-side prepared statement on PostgreSQL (backend/database.py
execute_prepared): same rows as the plain statement, prepared once per connection, on the generic
plan after PostgreSQL's five custom plans, and observers still see the SELECT."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from backend.coocook.services.chefs import CHEF_DETAIL
from backend.database import PREPARED
from backend.extensions import db as _db
from tests.conftest import make_app
from tests.factories import BookingFactory, ChefFactory, ReviewFactory

pytestmark = pytest.mark.pg_only
HELD = "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"


def engine_of(app):
    with app.app_context():
        return _db.engine


def a_reviewed_chef() -> int:
    chef = ChefFactory()
    for _ in range(3):
        booking = BookingFactory(chef_id=chef.id, status="completed")
        ReviewFactory(booking_id=booking.id, chef_id=chef.id, user_id=booking.user_id)
    return chef.id


def test_chef_detail_is_prepared_once_per_connection(app, backend, db):
    chef_id = a_reviewed_chef()
    engine = engine_of(app)
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_a: seen.append(statement))
    with engine.connect() as conn:
        plain = conn.execute(CHEF_DETAIL.execution_options(**{PREPARED: False}), {"chef_id": chef_id}).all()
        assert len(plain) == 3
        for _ in range(7):
            assert conn.execute(CHEF_DETAIL, {"chef_id": chef_id}).all() == plain
        assert conn.execute(CHEF_DETAIL, {"chef_id": chef_id + 1000}).all() == []
        ((statement, generic, custom),) = conn.exec_driver_sql(HELD).all()
    assert statement.startswith("PREPARE sf_") and "FROM chefs" in statement
    assert generic + custom == 8 and generic >= 1  # planned once, then the generic plan reused
    assert seen and all(s.lstrip().startswith("SELECT") for s in seen)  # observers see the statement itself

    with engine.connect() as conn:  # a reconnected pool slot prepares again
        conn.invalidate()
    with engine.connect() as conn:
        assert conn.execute(CHEF_DETAIL, {"chef_id": chef_id}).all() == plain


def test_the_detail_endpoint_answers_the_same_prepared_or_not(app, backend, db, tmp_path, database_url):
    chef_id = a_reviewed_chef()
    url = f"/api/v1/coocook/chefs/{chef_id}"
    prepared = app.test_client().get(url).get_json()
    plain_app = make_app(database_url, tmp_path, DB_PREPARED_STATEMENTS=False)
    assert plain_app.test_client().get(url).get_json() == prepared
    with engine_of(plain_app).connect() as conn:
        assert conn.exec_driver_sql(HELD).all() == []
    engine_of(plain_app).dispose()
