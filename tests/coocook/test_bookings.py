"""Booking lifecycle, visibility, transitions and reviews."""

import datetime as dt

import pytest
from sqlalchemy import select

from backend.coocook.models import Booking, Chef
from tests.conftest import statements

BOOKINGS = "/api/v1/coocook/bookings"


def tomorrow(days=1):
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()


def today():
    """The service's today (UTC): a booking can be completed from its date on."""
    return tomorrow(0)


@pytest.fixture
def chef(make_user):
    """A chef account (user, header) with its profile."""
    return make_user("chef", cuisine_type="thai", location="Seoul", price_per_session=150.0)


def book(client, headers, chef_id, date=None, slot="dinner", guests=2):
    return client.post(BOOKINGS, json={"chef_id": chef_id, "date": date or tomorrow(), "slot": slot,
                                       "guests": guests}, headers=headers)


def test_create_booking_snapshots_price_and_counts(client, db, chef, make_user):
    chef_user, _ = chef
    user, headers = make_user()
    response = book(client, headers, chef_user["chef_id"])
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending" and body["price"] == 150.0 and body["user_id"] == user["id"]
    count = db.session.execute(select(Chef.booking_count).where(Chef.id == chef_user["chef_id"])).scalar_one()
    assert count == 1


def test_same_slot_twice_is_409_other_slot_is_fine(client, chef, make_user):
    chef_id = chef[0]["chef_id"]
    _, alice = make_user()
    _, bob = make_user()
    assert book(client, alice, chef_id).status_code == 201
    clash = book(client, bob, chef_id)
    assert clash.status_code == 409 and clash.get_json()["error"]["code"] == "slot_taken"
    assert book(client, bob, chef_id, slot="lunch").status_code == 201


def test_cancelled_booking_frees_the_slot_and_the_count(client, db, chef, make_user):
    chef_id = chef[0]["chef_id"]
    _, alice = make_user()
    _, bob = make_user()
    booking = book(client, alice, chef_id).get_json()
    cancel = client.post(f"{BOOKINGS}/{booking['id']}/cancel", headers=alice)
    assert cancel.status_code == 200 and cancel.get_json()["status"] == "cancelled"
    count = db.session.execute(select(Chef.booking_count).where(Chef.id == chef_id)).scalar_one()
    assert count == 0
    assert book(client, bob, chef_id).status_code == 201


@pytest.mark.parametrize("body,field", [
    ({"date": "2000-01-01"}, "date"), ({"date": "not-a-date"}, "date"), ({"slot": "brunch"}, "slot"),
    ({"guests": 0}, "guests"), ({"guests": 51}, "guests"), ({"chef_id": 999999}, "chef_id"),
    ({"date": (dt.date.today() + dt.timedelta(days=2000)).isoformat()}, "date"),
])
def test_bad_booking_is_422_naming_the_field(client, chef, make_user, body, field):
    _, headers = make_user()
    payload = {"chef_id": chef[0]["chef_id"], "date": tomorrow(), "slot": "dinner", "guests": 2, **body}
    response = client.post(BOOKINGS, json=payload, headers=headers)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]


def test_malformed_json_is_400_and_nothing_is_written(client, db, chef, make_user):
    _, headers = make_user()
    for data in ("{", "[1, 2]", ""):
        response = client.post(BOOKINGS, data=data, headers={**headers, "Content-Type": "application/json"})
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "invalid_json"
    assert db.session.execute(select(Booking.id)).first() is None


def test_chef_cannot_book_themselves(client, chef):
    chef_user, headers = chef
    response = book(client, headers, chef_user["chef_id"])
    assert response.status_code == 422


def test_booking_needs_a_token(client, chef):
    assert book(client, {}, chef[0]["chef_id"]).status_code == 401


def test_visibility_user_chef_stranger_admin(client, chef, make_user):
    chef_user, chef_headers = chef
    _, owner = make_user()
    _, stranger = make_user()
    _, admin = make_user("admin")
    booking_id = book(client, owner, chef_user["chef_id"]).get_json()["id"]
    url = f"{BOOKINGS}/{booking_id}"
    assert client.get(url, headers=owner).status_code == 200
    assert client.get(url, headers=chef_headers).status_code == 200
    assert client.get(url, headers=admin).status_code == 200
    hidden = client.get(url, headers=stranger)
    assert hidden.status_code == 404  # not 403: existence is not leaked
    assert client.get(f"{BOOKINGS}/999999", headers=owner).status_code == 404
    assert client.post(f"{url}/cancel", headers=stranger).status_code == 404
    assert client.get(BOOKINGS, headers=stranger).get_json()["total"] == 0
    assert client.get(BOOKINGS, headers=owner).get_json()["total"] == 1
    assert client.get(BOOKINGS, headers=chef_headers).get_json()["total"] == 1


def test_lifecycle_and_illegal_transitions(client, chef, make_user):
    chef_user, chef_headers = chef
    _, user = make_user()
    booking_id = book(client, user, chef_user["chef_id"], date=today()).get_json()["id"]
    url = f"{BOOKINGS}/{booking_id}"
    assert client.post(f"{url}/confirm", headers=user).status_code == 403  # only the chef confirms
    assert client.post(f"{url}/complete", headers=chef_headers).status_code == 409  # not confirmed yet
    assert client.post(f"{url}/confirm", headers=chef_headers).get_json()["status"] == "confirmed"
    assert client.post(f"{url}/confirm", headers=chef_headers).status_code == 409
    assert client.post(f"{url}/complete", headers=chef_headers).get_json()["status"] == "completed"
    illegal = client.post(f"{url}/cancel", headers=user)
    assert illegal.status_code == 409
    assert illegal.get_json()["error"]["code"] == "illegal_transition"


def test_review_once_per_completed_booking_updates_rating(client, db, chef, make_user):
    chef_user, chef_headers = chef
    chef_id = chef_user["chef_id"]
    _, alice = make_user()
    _, bob = make_user()
    ids = [book(client, h, chef_id, date=today(), slot=slot).get_json()["id"]
           for h, slot in ((alice, "lunch"), (bob, "dinner"))]
    early = client.post(f"{BOOKINGS}/{ids[0]}/review", json={"rating": 5}, headers=alice)
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "booking_not_completed"
    for booking_id in ids:
        client.post(f"{BOOKINGS}/{booking_id}/confirm", headers=chef_headers)
        client.post(f"{BOOKINGS}/{booking_id}/complete", headers=chef_headers)
    assert client.post(f"{BOOKINGS}/{ids[0]}/review", json={"rating": 5, "comment": "Yum"},
                       headers=alice).status_code == 201
    assert client.post(f"{BOOKINGS}/{ids[0]}/review", json={"rating": 4}, headers=alice).status_code == 409
    assert client.post(f"{BOOKINGS}/{ids[1]}/review", json={"rating": 2}, headers=alice).status_code == 404
    assert client.post(f"{BOOKINGS}/{ids[1]}/review", json={"rating": 2}, headers=chef_headers).status_code == 403
    assert client.post(f"{BOOKINGS}/{ids[1]}/review", json={"rating": 9}, headers=bob).status_code == 422
    assert client.post(f"{BOOKINGS}/{ids[1]}/review", json={"rating": 2}, headers=bob).status_code == 201
    rating, count = db.session.execute(select(Chef.rating, Chef.rating_count).where(Chef.id == chef_id)).one()
    assert count == 2 and rating == pytest.approx(3.5)
    detail = client.get(f"/api/v1/coocook/chefs/{chef_id}").get_json()
    assert detail["rating"] == 3.5 and detail["latest_reviews"][0]["rating"] == 2


def test_chef_edit_by_owner_only(client, chef, make_user):
    chef_user, chef_headers = chef
    _, other = make_user()
    url = f"/api/v1/coocook/chefs/{chef_user['chef_id']}"
    assert client.patch(url, json={"bio": "x"}, headers=other).status_code == 404
    edited = client.patch(url, json={"bio": "Fermentation nerd", "price_per_session": 99}, headers=chef_headers)
    assert edited.status_code == 200 and edited.get_json()["price_per_session"] == 99
    assert client.patch(url, json={"price_per_session": -1}, headers=chef_headers).status_code == 422


def test_booking_list_statements_do_not_grow_and_cursor_walks(app, client, chef, make_user):
    app.config["MAX_PENDING_PER_CHEF"] = 12  # this test holds 12 pending bookings with one chef
    chef_id = chef[0]["chef_id"]
    _, headers = make_user()
    made = [book(client, headers, chef_id, date=tomorrow(i + 1)).get_json()["id"] for i in range(12)]
    one = client.get(BOOKINGS, query_string={"per_page": 1}, headers=headers)
    hundred = client.get(BOOKINGS, query_string={"per_page": 100}, headers=headers)
    assert statements(one) == statements(hundred)
    assert hundred.headers["Cache-Control"].startswith("private")
    seen, cursor = [], None
    while True:
        body = client.get(BOOKINGS, query_string={"per_page": 5, **({"cursor": cursor} if cursor else {})},
                          headers=headers).get_json()
        seen += [b["id"] for b in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    assert seen == sorted(made, reverse=True)
    filtered = client.get(BOOKINGS, query_string={"status": "cancelled"}, headers=headers).get_json()
    assert filtered["total"] == 0
