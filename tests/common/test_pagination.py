"""Cursors are client input: a well-formed cursor holding the wrong kind of value is a 422, never a 500."""

import base64
import json

import pytest

from backend.common.pagination import cursor_datetime, cursor_id, cursor_number, decode_cursor
from backend.errors import ValidationFailed

CHEFS = "/api/v1/coocook/chefs"
BOOKINGS = "/api/v1/coocook/bookings"
BAD_IDS = [True, False, None, "1", 1.0, 1.5, 0, -1, 2**31, 2**63, 2**64 - 1, [1], {"a": 1}]
BAD_NUMBERS = [True, None, "4.5", [4.5], {"v": 1}, 10**30, -(10**30), 2**63, 1e300]


def forge(*values) -> str:
    """A cursor as the server encodes one, holding whatever we like (stdlib json writes any int)."""
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def raw_cursor(text: bytes) -> str:
    """A cursor around raw JSON text (orjson cannot write NaN or huge ints, a client can)."""
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def assert_cursor_422(response):
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "cursor" in response.get_json()["error"]["details"]["fields"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_booking_cursor_with_a_non_id_is_422(client, make_user, bad):
    _, headers = make_user()
    assert_cursor_422(client.get(BOOKINGS, query_string={"cursor": forge("bookings", bad)}, headers=headers))


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("sort", ["-rating", "price", "newest"])
def test_chef_cursor_with_a_non_id_is_422(client, sort, bad):
    value = "2024-01-01T00:00:00" if sort == "newest" else 4.5
    assert_cursor_422(client.get(CHEFS, query_string={"sort": sort, "cursor": forge(sort, value, bad)}))


@pytest.mark.parametrize("bad", BAD_NUMBERS)
@pytest.mark.parametrize("sort", ["-rating", "rating", "price", "-price"])
def test_chef_cursor_with_a_non_number_sort_value_is_422(client, sort, bad):
    assert_cursor_422(client.get(CHEFS, query_string={"sort": sort, "cursor": forge(sort, bad, 5)}))


@pytest.mark.parametrize("bad", [4.5, True, None, "yesterday", "2024-13-45", "x" * 100, ["2024-01-01"]])
def test_chef_cursor_with_a_non_timestamp_is_422(client, bad):
    assert_cursor_422(client.get(CHEFS, query_string={"sort": "newest", "cursor": forge("newest", bad, 5)}))


@pytest.mark.parametrize("text", [b'["-rating", NaN, 5]', b'["-rating", Infinity, 5]', b'["-rating", 1e400, 5]',
                                  b'["-rating", 4.5, 99999999999999999999999999]', b'["bookings"]',
                                  b'["-rating", 4.5]', b'{"sort": "-rating"}', b'\x00\xff'])
def test_malformed_cursor_text_is_422(client, text):
    assert_cursor_422(client.get(CHEFS, query_string={"cursor": raw_cursor(text)}))


def test_cursor_made_for_another_sort_is_422(client):
    assert_cursor_422(client.get(CHEFS, query_string={"sort": "price", "cursor": forge("-rating", 4.5, 5)}))


def test_valid_forged_cursors_still_work(client, make_user):
    _, headers = make_user()
    assert client.get(BOOKINGS, query_string={"cursor": forge("bookings", 2**31 - 1)}, headers=headers).status_code \
        == 200
    for sort, value in (("-rating", 4.5), ("price", 100), ("newest", "2024-01-01T00:00:00")):
        assert client.get(CHEFS, query_string={"sort": sort, "cursor": forge(sort, value, 7)}).status_code == 200


def test_cursor_kinds_directly():
    assert cursor_id(7) == 7 and cursor_number(4.5) == 4.5 and cursor_datetime("2024-01-01").year == 2024
    for check, bad in ((cursor_id, True), (cursor_number, float("nan")), (cursor_number, float("inf")),
                       (cursor_datetime, 3)):
        with pytest.raises(ValueError):
            check(bad)
    with pytest.raises(ValidationFailed):
        decode_cursor(forge("s", True), "s", (cursor_id,))
    assert decode_cursor(forge("s", True), "s", 1) == [True]  # a bare arity checks only the shape
