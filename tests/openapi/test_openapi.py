"""GET /api/v1/openapi.json: a valid OpenAPI 3.1 document that covers every route and documents the
same required fields the validators enforce."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

API = "/api/v1"
BOOKING = {"chef_id": 1, "date": "2030-01-01", "slot": "dinner", "guests": 2}


@pytest.fixture
def document(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema, refs included


def test_the_validator_is_not_a_rubber_stamp(document):
    broken = {**document, "paths": {**document["paths"], "/x": {"get": {"responses": {"200": {}}}}}}
    with pytest.raises(OpenAPIValidationError):
        validate(broken)  # a response without its required description


def test_every_api_route_is_documented(app, document):
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    assert len(routes) >= 15
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes - documented == set(), "routes missing from openapi.json"
    assert documented - routes == set(), "documented operations with no route"


def test_path_parameters_match_the_url_map(document):
    for path, item in document["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for method, operation in item.items():
            params = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert params == names, (method, path)


def test_protected_operations_declare_bearer_auth(document):
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    create = document["paths"][f"{API}/coocook/bookings"]["post"]
    assert create["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}]
    assert "security" not in document["paths"][f"{API}/coocook/chefs"]["get"]


def booking_request_schema(document) -> dict:
    ref = document["paths"][f"{API}/coocook/bookings"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return document["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def test_booking_schema_requires_what_the_validator_enforces(client, document, make_user):
    schema = booking_request_schema(document)
    required = schema["required"]
    assert set(required) == set(BOOKING)
    slot = schema["properties"]["slot"]
    if "$ref" in slot:  # the Slot vocabulary is one shared schema
        slot = document["components"]["schemas"][slot["$ref"].rsplit("/", 1)[1]]
    assert slot["enum"] == ["lunch", "dinner"]
    _, auth = make_user("user")
    for name in required:
        body = {k: v for k, v in BOOKING.items() if k != name}
        response = client.post(f"{API}/coocook/bookings", json=body, headers=auth)
        assert response.status_code == 422, (name, response.get_json())
        error = response.get_json()["error"]
        assert error["code"] == "validation_error"
        assert list(error["details"]["fields"]) == [name]


def test_documented_bounds_are_enforced(client, document, make_user):
    properties = booking_request_schema(document)["properties"]
    _, auth = make_user("user")
    too_many = properties["guests"]["maximum"] + 1
    response = client.post(f"{API}/coocook/bookings", json={**BOOKING, "guests": too_many}, headers=auth)
    assert response.status_code == 422
    assert "guests" in response.get_json()["error"]["details"]["fields"]
    extra = client.post(f"{API}/coocook/bookings", json={**BOOKING, "note": "hi"}, headers=auth)
    assert extra.status_code == 422  # additionalProperties: false in the document, refused by the validator
    assert properties and booking_request_schema(document).get("additionalProperties") is False


def test_query_parameters_are_documented(document):
    params = {p["name"]: p for p in document["paths"][f"{API}/coocook/chefs"]["get"]["parameters"]}
    assert {"cuisine", "location", "min_rating", "max_price", "sort", "page", "per_page", "cursor"} <= set(params)
    sort = params["sort"]["schema"]
    assert set(sort.get("enum", [])) == {"rating", "-rating", "price", "-price", "newest"}


def test_document_is_cacheable(client):
    first = client.get(f"{API}/openapi.json")
    assert first.headers["Cache-Control"].startswith("public")
    assert client.get(f"{API}/openapi.json", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
