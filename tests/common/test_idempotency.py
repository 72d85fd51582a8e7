"""Idempotency-Key: a retried POST gets the first response and creates nothing twice."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from click.testing import CliRunner
from flask import Blueprint
from sqlalchemy import func, select, update

from backend.common.actor import ROLES
from backend.common.api import api_route
from backend.coocook.models import Booking
from backend.extensions import db as _db
from backend.idempotency.models import IdempotencyKey
from tests.conftest import make_app, statements, wipe
from tests.factories import ChefFactory

BOOKINGS = "/api/v1/coocook/bookings"


def booking_body(chef: int, days: int = 5, slot: str = "lunch") -> dict:
    date = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()
    return {"chef_id": chef, "date": date, "slot": slot, "guests": 2}


def count_bookings(db) -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(Booking)).scalar_one()


def chef(db) -> int:
    made = ChefFactory()
    db.session.commit()
    return made.id


def test_a_retry_replays_the_first_response_without_a_duplicate(client, db, make_user):
    _, auth = make_user("user")
    body = booking_body(chef(db))
    headers = {**auth, "Idempotency-Key": "retry-1"}
    first = client.post(BOOKINGS, json=body, headers=headers)
    assert first.status_code == 201
    again = client.post(BOOKINGS, json=body, headers=headers)
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count_bookings(db) == 1
    # Without the key the same body is a new request (here: the slot is taken).
    assert client.post(BOOKINGS, json=body, headers=auth).status_code == 409


def test_key_order_and_spacing_of_the_body_do_not_matter(client, db, make_user):
    _, auth = make_user("user")
    chef_id = chef(db)
    headers = {**auth, "Idempotency-Key": "k", "Content-Type": "application/json"}
    body = booking_body(chef_id)
    date = body["date"]
    first = client.post(BOOKINGS, data=f'{{"chef_id": {chef_id}, "date": "{date}", "slot": "lunch", "guests": 2}}',
                        headers=headers)
    again = client.post(BOOKINGS, data=f'{{"guests":2,"slot":"lunch","date":"{date}","chef_id":{chef_id}}}',
                        headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"


def test_the_same_key_with_another_body_is_422(client, db, make_user):
    _, auth = make_user("user")
    chef_id = chef(db)
    headers = {**auth, "Idempotency-Key": "reused"}
    assert client.post(BOOKINGS, json=booking_body(chef_id), headers=headers).status_code == 201
    other = client.post(BOOKINGS, json=booking_body(chef_id, days=6), headers=headers)
    assert other.status_code == 422
    error = other.get_json()["error"]
    assert error["code"] == "idempotency_key_reused" and "Idempotency-Key" in error["details"]["fields"]
    assert count_bookings(db) == 1


def test_keys_are_per_user(client, db, make_user):
    _, ann = make_user("user")
    _, bob = make_user("user")
    chef_id = chef(db)
    mine = client.post(BOOKINGS, json=booking_body(chef_id), headers={**ann, "Idempotency-Key": "same"})
    assert mine.status_code == 201
    bobs = client.post(BOOKINGS, json=booking_body(chef_id, slot="dinner"), headers={**bob, "Idempotency-Key": "same"})
    assert bobs.status_code == 201 and "Idempotent-Replayed" not in bobs.headers
    assert count_bookings(db) == 2


def test_a_4xx_is_replayed_too_and_an_expired_key_runs_again(app, client, db, make_user):
    _, auth = make_user("user")
    chef_id = chef(db)
    headers = {**auth, "Idempotency-Key": "late"}
    past = {**booking_body(chef_id), "date": "2000-01-01"}
    first = client.post(BOOKINGS, json=past, headers=headers)
    assert first.status_code == 422
    again = client.post(BOOKINGS, json=past, headers=headers)
    assert again.status_code == 422 and again.headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        _db.session.execute(update(IdempotencyKey).values(expires_at=dt.datetime(2000, 1, 1)))
        _db.session.commit()
    fresh = client.post(BOOKINGS, json=past, headers=headers)
    assert fresh.status_code == 422 and "Idempotent-Replayed" not in fresh.headers
    with app.app_context():
        _db.session.execute(update(IdempotencyKey).values(expires_at=dt.datetime(2000, 1, 1)))
        _db.session.commit()
        result = CliRunner().invoke(app.cli, ["idempotency", "purge"], catch_exceptions=False)
        assert "purged 1 " in result.output
        assert _db.session.execute(select(func.count()).select_from(IdempotencyKey)).scalar_one() == 0


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\there"])
def test_a_malformed_key_is_422_naming_the_header(client, db, make_user, key):
    _, auth = make_user("user")
    response = client.post(BOOKINGS, json=booking_body(chef(db)), headers={**auth, "Idempotency-Key": key})
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["error"]["details"]["fields"]
    assert count_bookings(db) == 0


def test_no_key_costs_no_extra_statement(client, db, make_user):
    _, auth = make_user("user")
    chef_id = chef(db)
    plain = client.post(BOOKINGS, json=booking_body(chef_id, days=3), headers=auth)
    keyed = client.post(BOOKINGS, json=booking_body(chef_id, days=4), headers={**auth, "Idempotency-Key": "a"})
    assert plain.status_code == keyed.status_code == 201
    assert statements(keyed) > statements(plain)  # the key's claim and completion
    again = client.post(BOOKINGS, json=booking_body(chef_id, days=8), headers=auth)
    assert statements(again) == statements(plain)


def test_a_retry_while_the_first_is_running_is_409_in_progress(database_url, tmp_path):
    """Two real concurrent requests: the second finds the key claimed and answers at once."""
    started, release = threading.Event(), threading.Event()
    bp = Blueprint("slow_test", __name__)

    @api_route(bp, "/slow", "POST", summary="test only: waits until released", status=201, roles=ROLES)
    def slow():
        started.set()
        release.wait(10)
        return {"done": True}

    app = make_app(database_url, tmp_path)
    app.register_blueprint(bp, url_prefix="/test")
    try:
        with app.app_context():
            from backend.auth import services

            user = services.create_user("slow@example.com", "correct-horse-battery", "Slow")
            token = services.issue_token(user["id"])["token"]
            _db.session.remove()
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "in-flight"}
        results = {}

        def first():
            results["first"] = app.test_client().post("/test/slow", headers=headers)

        thread = threading.Thread(target=first)
        thread.start()
        assert started.wait(10)
        second = app.test_client().post("/test/slow", headers=headers)
        release.set()
        thread.join(10)
        assert second.status_code == 409 and second.get_json()["error"]["code"] == "in_progress"
        assert results["first"].status_code == 201
        third = app.test_client().post("/test/slow", headers=headers)
        assert third.status_code == 201 and third.headers["Idempotent-Replayed"] == "true"
    finally:
        release.set()
        wipe(app)
