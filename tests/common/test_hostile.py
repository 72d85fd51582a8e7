"""A hostile sweep over every rule in the URL map: odd ids, nulls, NUL bytes, huge numbers, wrong shapes and
content types, someone else's objects. Whatever comes in, nothing answers 5xx and every error keeps the one shape.

The rules come from the app itself, so a route added later is swept without editing this file.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from backend.common.api import OPERATIONS

PATH_VALUES = [str(2**63), str(2**64), str(2**31), "-1", "0", "abc", "9" * 40, "1.5", "%00", "..%2F..%2Fetc",
               "00000000-0000-0000-0000-000000000000", "0" * 32]
FIELD_VALUES = [None, 2**63, 2**64, -(2**63) - 1, 2**31, -1, 0, True, 1e308, "\x00", "a\x00b", "", "x" * 20000,
                [], {}, [None], {"nested": "\x00"}, "9" * 400]
RAW_BODIES = [b"null", b"[]", b"[{}]", b'"text"', b"1e400", b"123", b"{", b'{"a":' * 2000, b"\xff\xfe",
              b'{"a": NaN}', b"{\"x\": \"\\u0000\"}"]
CONTENT_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                 "application/json; charset=utf-16", "application/xml", ""]
QUERY_VALUES = ["\x00", str(2**63), "-1", "0", "nan", "inf", "1e400", "[]", "", "9" * 5000, "true"]
BODY_METHODS = {"POST", "PATCH", "PUT"}


def concrete(rule, value: str) -> str:
    """The rule's path with every argument replaced by `value`."""
    return re.sub(r"<(?:\w+:)?\w+>", value, rule.rule)


def fields_of(model) -> list[str]:
    return list(model.model_fields) if model is not None else []


@pytest.fixture
def world(app, make_user):
    """Two parties with a booking between them, and a stranger who should see none of it."""
    chef, chef_headers = make_user("chef", cuisine_type="thai", location="Seoul", price_per_session=100.0)
    owner, owner_headers = make_user()
    _, stranger = make_user()
    _, admin = make_user("admin")
    client = app.test_client()
    date = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=5)).isoformat()
    booking = client.post("/api/v1/coocook/bookings", headers=owner_headers,
                          json={"chef_id": chef["chef_id"], "date": date, "slot": "lunch", "guests": 2}).get_json()
    return {"chef": chef, "chef_headers": chef_headers, "owner": owner_headers, "stranger": stranger,
            "admin": admin, "booking_id": booking["id"], "anonymous": {}}


def check(failures: list, label: str, response) -> None:
    """Record a 5xx, or an error body that is not the one shape."""
    failures.append(None)
    if response.status_code >= 500:
        failures.append(f"{label}: {response.status_code} {response.get_data(as_text=True)[:200]}")
        return
    if response.status_code >= 400:
        body = response.get_json(silent=True)
        if not (isinstance(body, dict) and set(body.get("error", {})) == {"code", "message", "details"}):
            failures.append(f"{label}: {response.status_code} without the error shape: {response.get_data()[:200]!r}")


def test_every_route_survives_hostile_input(app, world):
    client = app.test_client()
    failures: list[str] = []
    rules = list(app.url_map.iter_rules())
    assert len(rules) >= 15
    actors = ("anonymous", "stranger", "admin")
    for rule in rules:
        op = OPERATIONS.get(rule.endpoint)
        methods = sorted(rule.methods - {"HEAD"})
        paths = [concrete(rule, v) for v in PATH_VALUES] if rule.arguments else [rule.rule]
        for method in methods:
            for path in paths:
                for actor in actors:
                    response = client.open(path, method=method, headers=world[actor], json={} if
                                           method in BODY_METHODS else None)
                    check(failures, f"{method} {path} as {actor}", response)
            if method in BODY_METHODS:
                path = concrete(rule, str(world["booking_id"])) if rule.arguments else rule.rule
                for raw in RAW_BODIES:
                    response = client.open(path, method=method, data=raw, content_type="application/json",
                                           headers=world["stranger"])
                    check(failures, f"{method} {path} raw {raw[:20]!r}", response)
                for content_type in CONTENT_TYPES:
                    response = client.open(path, method=method, data=b'{"rating": 5}', headers={
                        **world["stranger"], "Content-Type": content_type})
                    check(failures, f"{method} {path} as {content_type!r}", response)
                for name in fields_of(op.body if op else None):
                    for value in FIELD_VALUES:
                        data = json.dumps({name: value})
                        for actor in ("stranger", "admin"):
                            response = client.open(path, method=method, data=data, content_type="application/json",
                                                   headers=world[actor])
                            check(failures, f"{method} {path} {name}={value!r:.30} as {actor}", response)
            if op is not None and op.query is not None:
                path = concrete(rule, "1") if rule.arguments else rule.rule
                for name in [*fields_of(op.query), "unknown"]:
                    for value in QUERY_VALUES:
                        response = client.open(path, method=method, query_string={name: value},
                                               headers=world["admin"])
                        check(failures, f"{method} {path}?{name}={value!r:.30}", response)
    sent = failures.count(None)
    failures = [f for f in failures if f is not None]
    assert sent > 1500  # the sweep really ran (about 1,900 requests per backend)
    assert not failures, "\n".join(failures[:40])


def test_someone_elses_objects_are_404(app, world):
    """A stranger cannot see or act on the booking or edit the chef; the ids exist, yet the answer is 404."""
    client = app.test_client()
    booking = f"/api/v1/coocook/bookings/{world['booking_id']}"
    stranger = world["stranger"]
    assert client.get(booking, headers=stranger).status_code == 404
    for action in ("cancel", "confirm", "complete"):
        assert client.post(f"{booking}/{action}", headers=stranger).status_code == 404
    assert client.post(f"{booking}/review", json={"rating": 1}, headers=stranger).status_code == 404
    chef = f"/api/v1/coocook/chefs/{world['chef']['chef_id']}"
    assert client.patch(chef, json={"bio": "pwned"}, headers=stranger).status_code == 404
    assert client.patch(chef, json={"bio": "pwned"}, headers=world["owner"]).status_code == 404
    assert "pwned" not in client.get(chef).get_data(as_text=True)


@pytest.mark.parametrize("header", ["Bearer " + "\x00" * 8, "Bearer " + "a" * 5000, "Bearer", "Basic abc",
                                    "Bearer \u00ff\u00fe"])
def test_hostile_authorization_headers_are_401(client, header):
    response = client.get("/api/v1/auth/me", headers={"Authorization": header})
    assert response.status_code == 401, response.get_data(as_text=True)
