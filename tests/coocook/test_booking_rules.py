"""Booking rules that keep one account from gaming a chef: no completing (and so no review) before the
date, and at most MAX_PENDING_PER_CHEF pending bookings per user and chef."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from backend.coocook.models import Booking

BOOKINGS = "/api/v1/coocook/bookings"


def day(offset: int) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=offset)).isoformat()


@pytest.fixture
def chef(make_user):
    return make_user("chef", cuisine_type="thai", location="Seoul", price_per_session=150.0)


def book(client, headers, chef_id, date, slot="dinner"):
    return client.post(BOOKINGS, json={"chef_id": chef_id, "date": date, "slot": slot, "guests": 2},
                       headers=headers)


def test_future_booking_cannot_be_completed_or_reviewed(client, chef, make_user):
    chef_user, chef_headers = chef
    _, user = make_user()
    booking_id = book(client, user, chef_user["chef_id"], day(1)).get_json()["id"]
    url = f"{BOOKINGS}/{booking_id}"
    assert client.post(f"{url}/confirm", headers=chef_headers).status_code == 200
    early = client.post(f"{url}/complete", headers=chef_headers)
    assert early.status_code == 409
    error = early.get_json()["error"]
    assert error["code"] == "too_early" and error["details"]["date"] == day(1)
    assert client.get(url, headers=user).get_json()["status"] == "confirmed"  # nothing changed
    review = client.post(f"{url}/review", json={"rating": 1}, headers=user)
    assert review.status_code == 409 and review.get_json()["error"]["code"] == "booking_not_completed"


def test_booking_dated_today_can_be_completed_then_reviewed(client, chef, make_user):
    chef_user, chef_headers = chef
    _, user = make_user()
    booking_id = book(client, user, chef_user["chef_id"], day(0)).get_json()["id"]
    url = f"{BOOKINGS}/{booking_id}"
    client.post(f"{url}/confirm", headers=chef_headers)
    assert client.post(f"{url}/complete", headers=chef_headers).get_json()["status"] == "completed"
    assert client.post(f"{url}/review", json={"rating": 5}, headers=user).status_code == 201


def test_past_booking_can_be_completed(client, db, chef, make_user):
    chef_user, chef_headers = chef
    _, user = make_user()
    booking_id = book(client, user, chef_user["chef_id"], day(0)).get_json()["id"]
    db.session.execute(Booking.__table__.update().where(Booking.id == booking_id).values(
        date=dt.date.fromisoformat(day(-3)), status="confirmed"))
    db.session.commit()
    assert client.post(f"{BOOKINGS}/{booking_id}/complete", headers=chef_headers).status_code == 200


def test_pending_bookings_per_chef_are_capped_and_cancelling_frees_a_place(app, client, chef, make_user):
    assert app.config["MAX_PENDING_PER_CHEF"] == 3  # the default
    chef_user, chef_headers = chef
    chef_id = chef_user["chef_id"]
    _, user = make_user()
    _, other = make_user()
    other_chef, _ = make_user("chef", cuisine_type="thai", location="Seoul", price_per_session=90.0)
    made = [book(client, user, chef_id, day(i + 1)).get_json()["id"] for i in range(3)]
    fourth = book(client, user, chef_id, day(10))
    assert fourth.status_code == 409
    error = fourth.get_json()["error"]
    assert error["code"] == "too_many_pending" and error["details"] == {"chef_id": chef_id, "pending": 3, "limit": 3}
    # The cap is per user and per chef: another user, or another chef, is unaffected.
    assert book(client, other, chef_id, day(10)).status_code == 201
    assert book(client, user, other_chef["chef_id"], day(10)).status_code == 201
    # Cancelling frees a place, and so does a confirmation (the booking is no longer pending).
    assert client.post(f"{BOOKINGS}/{made[0]}/cancel", headers=user).status_code == 200
    assert book(client, user, chef_id, day(11)).status_code == 201
    assert book(client, user, chef_id, day(12)).status_code == 409
    assert client.post(f"{BOOKINGS}/{made[1]}/confirm", headers=chef_headers).status_code == 200
    assert book(client, user, chef_id, day(12)).status_code == 201


def test_pending_cap_is_configurable(app, client, chef, make_user):
    app.config["MAX_PENDING_PER_CHEF"] = 1
    _, user = make_user()
    chef_id = chef[0]["chef_id"]
    assert book(client, user, chef_id, day(1)).status_code == 201
    assert book(client, user, chef_id, day(2)).get_json()["error"]["code"] == "too_many_pending"


def test_pending_cap_holds_under_concurrent_requests(app, db, chef, make_user):
    """Eight simultaneous bookings by one user with one chef on distinct dates: exactly three land."""
    chef_id = chef[0]["chef_id"]
    user, headers = make_user()

    def attempt(i):
        return book(app.test_client(), headers, chef_id, day(i + 1)).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(attempt, range(8)))
    assert sorted(codes) == [201] * 3 + [409] * 5, codes
    count = db.session.execute(select(func.count()).select_from(Booking)
                               .where(Booking.user_id == user["id"], Booking.status == "pending")).scalar_one()
    assert count == 3


def test_a_booking_changes_nothing_on_the_chef_but_its_counter(client, chef, make_user, db):
    """The write path runs prebuilt Core statements: the counter UPDATE must SET booking_count only."""
    from sqlalchemy import select

    from backend.coocook.models import Chef

    chef_user, _ = chef
    _, user = make_user()
    before = db.session.execute(select(Chef.__table__).where(Chef.id == chef_user["chef_id"])).one()._asdict()
    assert book(client, user, chef_user["chef_id"], day(3)).status_code == 201
    db.session.rollback()
    after = db.session.execute(select(Chef.__table__).where(Chef.id == chef_user["chef_id"])).one()._asdict()
    assert after.pop("booking_count") == before.pop("booking_count") + 1
    assert after == before
