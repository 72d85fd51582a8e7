"""Chef list (filters, sorts, pages, cursors) and detail, with constant statement counts."""

import datetime as dt

import pytest

from backend.caching import response_cache
from tests.conftest import statements
from tests.factories import BookingFactory, ChefFactory, ReviewFactory, UserFactory

LIST = "/api/v1/coocook/chefs"


@pytest.fixture
def chefs(db):
    """Twelve active chefs with distinct ratings/prices and one inactive chef."""
    made = [ChefFactory(rating=i * 0.4, price_per_session=300 - i * 10, cuisine_type="Italian" if i % 3 == 0
                        else "korean", location="Seoul" if i % 2 else "Paris") for i in range(12)]
    ChefFactory(is_active=False, rating=5.0, name="Retired")
    return made


def get(client, **params):
    response = client.get(LIST, query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_envelope_and_inactive_chefs_hidden(client, chefs):
    body = get(client)
    assert set(body) == {"items", "page", "per_page", "total", "next_cursor"}
    assert body["total"] == 12
    assert "Retired" not in [c["name"] for c in body["items"]]


def test_filters_are_case_insensitive(client, chefs):
    italian = get(client, cuisine="ITALIAN")
    assert italian["total"] == 4
    assert all(c["cuisine_type"] == "Italian" for c in italian["items"])
    seoul = get(client, location="seoul", per_page=100)
    assert seoul["total"] == 6 and {c["location"] for c in seoul["items"]} == {"Seoul"}


def test_rating_and_price_filters(client, chefs):
    body = get(client, min_rating=2.0, max_price=250, per_page=100)
    assert body["items"] and all(c["rating"] >= 2.0 and c["price_per_session"] <= 250 for c in body["items"])
    expected = [c for c in chefs if c.rating >= 2.0 and c.price_per_session <= 250]
    assert body["total"] == len(expected)


@pytest.mark.parametrize("sort,key,reverse", [("rating", "rating", False), ("-rating", "rating", True),
                                              ("price", "price_per_session", False),
                                              ("-price", "price_per_session", True)])
def test_sorts(client, chefs, sort, key, reverse):
    values = [c[key] for c in get(client, sort=sort, per_page=100)["items"]]
    assert values == sorted(values, reverse=reverse)


def test_newest_first(client, db):
    old = ChefFactory(created_at=dt.datetime(2020, 1, 1))
    new = ChefFactory(created_at=dt.datetime(2025, 1, 1))
    assert [c["id"] for c in get(client, sort="newest")["items"]] == [new.id, old.id]


@pytest.mark.parametrize("sort", ["rating", "-rating", "price", "-price", "newest"])
def test_cursor_walk_matches_offset_pages_without_gaps(client, db, sort):
    for i in range(23):  # ties on purpose: the id tie-break must keep the walk exact
        ChefFactory(rating=(i % 4) * 1.0, price_per_session=100 + (i % 3),
                    created_at=dt.datetime(2024, 1, 1 + i % 5))
    seen, cursor = [], None
    while True:
        params = {"sort": sort, "per_page": 5, **({"cursor": cursor} if cursor else {})}
        body = get(client, **params)
        seen += [c["id"] for c in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    offset = [c["id"] for c in get(client, sort=sort, per_page=100)["items"]]
    assert seen == offset and len(set(seen)) == 23


def test_per_page_is_capped_at_100(client, db):
    body = get(client, per_page=1000)
    assert body["per_page"] == 100


@pytest.mark.parametrize("params,field", [({"sort": "best"}, "sort"), ({"min_rating": 9}, "min_rating"),
                                          ({"page": 0}, "page"), ({"max_price": "cheap"}, "max_price"),
                                          ({"cursor": "garbage"}, "cursor")])
def test_bad_query_is_422_naming_the_field(client, db, params, field):
    response = client.get(LIST, query_string=params)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]


def test_cursor_from_another_sort_is_refused(client, chefs):
    cursor = get(client, sort="price", per_page=2)["next_cursor"]
    response = client.get(LIST, query_string={"sort": "rating", "cursor": cursor})
    assert response.status_code == 422


def test_detail_has_five_latest_reviews_with_names_and_booking_count(client, db):
    chef = ChefFactory(booking_count=7)
    for i in range(7):
        user = UserFactory(name=f"Reviewer {i}")
        booking = BookingFactory(chef_id=chef.id, user_id=user.id, status="completed")
        ReviewFactory(booking_id=booking.id, chef_id=chef.id, user_id=user.id, rating=1 + i % 5,
                      created_at=dt.datetime(2025, 1, 1 + i))
    body = client.get(f"/api/v1/coocook/chefs/{chef.id}").get_json()
    assert body["booking_count"] == 7
    names = [r["reviewer_name"] for r in body["latest_reviews"]]
    assert names == [f"Reviewer {i}" for i in range(6, 1, -1)]


def test_unknown_and_inactive_chef_are_404(client, db):
    inactive = ChefFactory(is_active=False)
    for chef_id in (999999, inactive.id):
        response = client.get(f"/api/v1/coocook/chefs/{chef_id}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "chef_not_found"


def test_list_statement_count_does_not_grow_with_page_size(app, db):
    for _ in range(120):
        ChefFactory()
    app.config["CACHE_TYPE"] = "NullCache"
    response_cache(app).enabled = False
    client = app.test_client()
    for params in ({}, {"cuisine": "korean"}, {"sort": "newest"}):
        one = client.get(LIST, query_string={**params, "per_page": 1})
        hundred = client.get(LIST, query_string={**params, "per_page": 100})
        assert len(hundred.get_json()["items"]) > 1
        assert statements(one) == statements(hundred)


def test_detail_statement_count_does_not_grow_with_reviews(app, db):
    response_cache(app).enabled = False
    few, many = ChefFactory(), ChefFactory()
    for chef, n in ((few, 1), (many, 6)):
        for _ in range(n):
            user = UserFactory()
            booking = BookingFactory(chef_id=chef.id, user_id=user.id, status="completed")
            ReviewFactory(booking_id=booking.id, chef_id=chef.id, user_id=user.id)
    client = app.test_client()
    a, b = client.get(f"/api/v1/coocook/chefs/{few.id}"), client.get(f"/api/v1/coocook/chefs/{many.id}")
    assert len(b.get_json()["latest_reviews"]) == 5
    assert statements(a) == statements(b)
