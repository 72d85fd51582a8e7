"""Throttling as an attacker meets it: floods end in 429s, cache hits count, headers cannot be spoofed."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import make_app, wipe
from tests.factories import ChefFactory

CHEFS = "/api/v1/coocook/chefs"
LOGIN = "/api/v1/auth/login"


@pytest.fixture
def limited(database_url, tmp_path):
    """Build apps with low limits on the current backend; wiped afterwards."""
    made = []

    def build(**limits):
        app = make_app(database_url, tmp_path / uuid.uuid4().hex, **limits)
        made.append(app)
        return app

    yield build
    for app in made:
        wipe(app)


def test_the_default_limit_answers_429_in_the_house_shape(limited):
    client = limited(THROTTLE_DEFAULT="5 per minute").test_client()
    statuses = [client.get("/api/v1/health").status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429, 429]
    refused = client.get("/api/v1/health")
    body = refused.get_json()["error"]
    assert body["code"] == "rate_limited"
    assert body["details"]["remaining"] == 0 and body["details"]["retry_after"] >= 1
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["X-RateLimit-Limit"] == "5" and refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["X-Content-Type-Options"] == "nosniff"


def test_every_response_carries_the_limit_headers(limited):
    client = limited(THROTTLE_DEFAULT="50 per minute").test_client()
    first, second = client.get("/api/v1/health"), client.get("/api/v1/openapi.json")
    assert first.headers["X-RateLimit-Limit"] == "50"
    assert int(first.headers["X-RateLimit-Remaining"]) == 49 and int(second.headers["X-RateLimit-Remaining"]) == 48
    assert int(first.headers["X-RateLimit-Reset"]) > 0


def test_cache_hits_answered_before_flask_are_counted(limited, db):
    ChefFactory()
    db.session.commit()
    app = limited(THROTTLE_DEFAULT="6 per minute")
    client = app.test_client()
    responses = [client.get(CHEFS) for _ in range(8)]
    assert [r.status_code for r in responses] == [200] * 6 + [429, 429]
    assert 'cache;desc="hit"' in responses[4].headers["Server-Timing"]  # a repeat: answered by the L1
    assert responses[5].headers["X-RateLimit-Remaining"] == "0"


def test_a_token_holder_has_a_bucket_of_their_own_but_the_ip_ceiling_holds(limited):
    client = limited(THROTTLE_DEFAULT="3 per minute", THROTTLE_PER_IP="6 per minute").test_client()
    assert [client.get("/api/v1/health").status_code for _ in range(4)] == [200, 200, 200, 429]
    token = {"Authorization": "Bearer some-token"}
    assert [client.get("/api/v1/health", headers=token).status_code for _ in range(4)] == [200, 200, 200, 429]
    # Minting a new token per request does not escape the per-IP ceiling: token requests count
    # against it (4 so far), so the 3rd fresh token is the 7th and is refused.
    fresh = [client.get("/api/v1/health", headers={"Authorization": f"Bearer {i}"}).status_code for i in range(3)]
    assert fresh == [200, 200, 429]


def test_a_login_flood_ends_in_429s_long_before_the_300th(limited, make_user):
    app = limited(THROTTLE_LOGIN_PER_ACCOUNT="10 per minute", THROTTLE_LOGIN_PER_IP="30 per minute")
    client = app.test_client()
    statuses = [client.post(LOGIN, json={"email": "victim@example.com", "password": f"guess-{i}"}).status_code
                for i in range(30)]
    assert statuses[:10] == [401] * 10
    assert set(statuses[10:]) == {429}
    refused = client.post(LOGIN, json={"email": "VICTIM@example.com", "password": "x"})
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in refused.headers


def test_login_is_limited_per_ip_across_accounts(limited):
    client = limited(THROTTLE_LOGIN_PER_ACCOUNT="100 per minute", THROTTLE_LOGIN_PER_IP="5 per minute").test_client()
    statuses = [client.post(LOGIN, json={"email": f"user{i}@example.com", "password": "nope-nope"}).status_code
                for i in range(7)]
    assert statuses == [401] * 5 + [429, 429]


def test_registration_is_limited(limited):
    client = limited(THROTTLE_REGISTER_PER_IP="3 per minute").test_client()
    statuses = [client.post("/api/v1/auth/register", json={
        "email": f"new{i}@example.com", "password": "correct-horse-battery", "name": "N"}).status_code
        for i in range(5)]
    assert statuses == [201, 201, 201, 429, 429]


def test_a_bad_login_body_is_a_4xx_not_a_500(limited):
    client = limited(THROTTLE_LOGIN_PER_ACCOUNT="2 per minute").test_client()
    for body in (b"not json", b'{"email": 5}', b"[]", b'{"email": "\\u0000"}'):
        response = client.post(LOGIN, data=body, headers={"Content-Type": "application/json"})
        assert 400 <= response.status_code < 500, (body, response.status_code)


def test_forwarded_for_is_trusted_only_from_configured_hops(limited):
    untrusted = limited(THROTTLE_DEFAULT="2 per minute").test_client()
    spoofed = [untrusted.get("/api/v1/health", headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code
               for i in range(3)]
    assert spoofed == [200, 200, 429]  # the header is ignored: all three are 127.0.0.1
    trusted = limited(THROTTLE_DEFAULT="2 per minute", TRUSTED_PROXY_HOPS=1).test_client()
    via_proxy = [trusted.get("/api/v1/health", headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code
                 for i in range(3)]
    assert via_proxy == [200, 200, 200]  # three clients behind the proxy


def test_disabled_means_no_limits_and_no_headers(limited):
    client = limited(RATELIMIT_ENABLED=False, THROTTLE_DEFAULT="1 per minute").test_client()
    responses = [client.get("/api/v1/health") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert "X-RateLimit-Limit" not in responses[0].headers


def test_a_dead_redis_falls_back_to_memory_never_a_500(limited):
    client = limited(THROTTLE_DEFAULT="3 per minute", RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0").test_client()
    statuses = [client.get("/api/v1/health").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    login = client.post(LOGIN, json={"email": "a@example.com", "password": "whatever-1"})
    assert login.status_code in (401, 429)


def test_login_answers_carry_its_stricter_limit_not_the_default(limited):
    client = limited(THROTTLE_LOGIN_PER_ACCOUNT="10 per minute", THROTTLE_LOGIN_PER_IP="30 per minute").test_client()
    response = client.post(LOGIN, json={"email": "someone@example.com", "password": "nope-nope"})
    assert response.status_code == 401
    assert response.headers["X-RateLimit-Limit"] == "10" and response.headers["X-RateLimit-Remaining"] == "9"
