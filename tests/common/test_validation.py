"""Input bounds on both backends: path ids, body ints, NUL bytes, nulls in PATCH, floats that are not numbers."""

import datetime as dt
import json

import pytest

from backend.common.validation import DB_INT_MAX, BodySchema, IdConverter, PatchSchema, QuerySchema

CHEFS = "/api/v1/coocook/chefs"
BOOKINGS = "/api/v1/coocook/bookings"
SOON = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)).isoformat()
HUGE_IDS = [str(2**63), str(2**63 - 1), str(2**31), str(2**64), "9" * 30, "9" * 5000]


@pytest.fixture
def chef(make_user):
    """A chef account (user, header) with its profile."""
    return make_user("chef", cuisine_type="thai", location="Seoul", price_per_session=150.0)


def assert_error(response, status, field=None):
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "details"}
    if field is not None:
        assert field in error["details"]["fields"], error
    return error


@pytest.mark.parametrize("raw", [*HUGE_IDS, "0", "-1", "00", "007", "1.5", "١", "0x10"])
def test_path_ids_outside_the_column_range_are_404_json(client, make_user, raw):
    _, headers = make_user()
    assert_error(client.get(f"{CHEFS}/{raw}"), 404)
    assert_error(client.get(f"{BOOKINGS}/{raw}", headers=headers), 404)
    assert_error(client.patch(f"{CHEFS}/{raw}", json={"bio": "x"}, headers=headers), 404)
    for action in ("cancel", "confirm", "complete"):
        assert_error(client.post(f"{BOOKINGS}/{raw}/{action}", headers=headers), 404)
    assert_error(client.post(f"{BOOKINGS}/{raw}/review", json={"rating": 5}, headers=headers), 404)
    assert_error(client.get(f"/api/v1/products/{raw}"), 404)


def test_largest_valid_id_is_an_ordinary_404(client, make_user):
    _, headers = make_user()
    assert assert_error(client.get(f"{CHEFS}/{DB_INT_MAX}"), 404)["code"] == "chef_not_found"
    assert assert_error(client.get(f"{BOOKINGS}/{DB_INT_MAX}", headers=headers), 404)["code"] == "booking_not_found"


def test_id_converter_regex_is_exactly_the_column_range():
    import re

    match = re.compile(IdConverter.regex + r"\Z").match
    for n in [*range(0, 1200), *range(DB_INT_MAX - 1200, DB_INT_MAX + 1200), 10**10, 2**32, 2**63]:
        assert bool(match(str(n))) == (1 <= n <= DB_INT_MAX), n
    assert not match("007") and not match("-1") and not match("+1")


@pytest.mark.parametrize("chef_id", [2**63, 2**64, 2**31, 10**30, 0, -1, 1.5, "x", [1], {"id": 1}, None])
def test_body_chef_id_outside_the_range_is_422_naming_it(client, make_user, chef_id):
    _, headers = make_user()
    body = json.dumps({"chef_id": chef_id, "date": SOON, "slot": "dinner", "guests": 2})
    response = client.post(BOOKINGS, data=body, content_type="application/json", headers=headers)
    assert_error(response, 422, "chef_id")


@pytest.mark.parametrize(("where", "value"), [
    ("name", "Chef\x00Evil"), ("bio", "a\x00b"), ("cuisine_type", "\x00"), ("location", "Seoul\x00"),
])
def test_nul_in_patch_strings_is_422_naming_the_field(client, chef, where, value):
    chef_user, headers = chef
    response = client.patch(f"{CHEFS}/{chef_user['chef_id']}", json={where: value}, headers=headers)
    assert_error(response, 422, where)


@pytest.mark.parametrize("param", ["cuisine", "location", "cursor", "sort"])
def test_nul_in_query_filters_is_422_naming_the_parameter(client, param):
    response = client.get(CHEFS, query_string={param: "thai\x00"})
    assert_error(response, 422, param)


def test_nul_in_review_comment_and_register_is_422(client, make_user):
    _, headers = make_user()
    response = client.post(f"{BOOKINGS}/1/review", json={"rating": 5, "comment": "good\x00"}, headers=headers)
    assert_error(response, 422, "comment")
    response = client.post("/api/v1/auth/register", json={"email": "a\x00b@example.com", "password": "x" * 12,
                                                          "name": "N\x00"})
    error = assert_error(response, 422)
    assert {"email", "name"} & set(error["details"]["fields"])
    login = client.post("/api/v1/auth/login", json={"email": "a@example.com\x00", "password": "p\x00"})
    assert_error(login, 422)


def test_nul_check_reaches_nested_values():
    class Inner(BodySchema):
        note: str

    class Outer(BodySchema):
        tags: list[str] = []
        inner: Inner | None = None
        labels: dict[str, str] = {}

    from pydantic import ValidationError

    for data, where in (({"tags": ["ok", "b\x00d"]}, "tags"), ({"inner": {"note": "\x00"}}, "inner"),
                        ({"labels": {"k\x00": "v"}}, "labels"), ({"labels": {"k": "v\x00"}}, "labels")):
        with pytest.raises(ValidationError) as caught:
            Outer.model_validate(data)
        assert caught.value.errors()[0]["loc"][0] == where
    assert Outer.model_validate({"tags": ["fine"], "inner": {"note": "fine"}}).tags == ["fine"]


@pytest.mark.parametrize("field", ["name", "bio", "cuisine_type", "location", "price_per_session", "is_active"])
def test_patch_null_for_a_not_null_column_is_422_naming_it(client, db, chef, field):
    chef_user, headers = chef
    url = f"{CHEFS}/{chef_user['chef_id']}"
    assert_error(client.patch(url, json={field: None}, headers=headers), 422, field)
    # Omitting stays a no-op, and the profile is unchanged.
    assert client.patch(url, json={}, headers=headers).status_code == 200
    assert client.get(url).get_json()["name"] == chef_user["name"]


def test_patch_schema_documents_no_null_and_honours_nullable():
    class Example(PatchSchema):
        NULLABLE = frozenset({"note"})
        name: str | None = None
        note: str | None = None

    assert Example.model_validate({"note": None}).note is None
    props = Example.model_json_schema()["properties"]
    assert props["name"]["type"] == "string" and "anyOf" in props["note"]


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_query_floats_refuse_nan_and_infinity(client, value):
    assert_error(client.get(CHEFS, query_string={"max_price": value}), 422, "max_price")
    assert_error(client.get(CHEFS, query_string={"min_rating": value}), 422, "min_rating")


def test_huge_numbers_in_query_and_body_are_4xx(client, chef, make_user):
    chef_user, headers = chef
    for params in ({"page": str(2**63)}, {"per_page": str(10**40)}, {"max_price": "1e400"}, {"page": "9" * 5000}):
        assert client.get(CHEFS, query_string=params).status_code in (200, 422)
    big = '{"price_per_session": 1e400}'
    response = client.patch(f"{CHEFS}/{chef_user['chef_id']}", data=big, content_type="application/json",
                            headers=headers)
    assert response.status_code in (400, 422)
    response = client.post(BOOKINGS, data=json.dumps({"chef_id": chef_user["chef_id"], "date": SOON,
                                                      "slot": "dinner", "guests": 10**30}),
                           content_type="application/json", headers=headers)
    assert_error(response, 422, "guests")


def test_schema_bases_refuse_nan_and_forbid_extra():
    class Body(BodySchema):
        x: float

    class Query(QuerySchema):
        x: float

    from pydantic import ValidationError

    for model in (Body, Query):
        with pytest.raises(ValidationError):
            model.model_validate({"x": float("nan")})
