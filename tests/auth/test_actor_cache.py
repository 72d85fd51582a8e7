"""The cheaper token check (backend/auth/actor_cache.py) on every backend: a worker that has just checked a
token answers the next request without the lookup statement, yet logout, a password change and expiry
take effect at once, in every worker of the host; without a readable generation it asks the database."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import update

from backend.auth.actor_cache import actor_cache
from backend.auth.models import AuthToken
from backend.common.models import utcnow
from backend.extensions import db as _db
from tests.auth.test_hardening import API, GOOD, bearer, login, register
from tests.conftest import make_app, statements, wipe

ME = f"{API}/me"


CACHED = {"AUTH_TOKEN_CACHE_SECONDS": 5.0}  # the production default (the testing config turns it off)


@pytest.fixture
def app(database_url, tmp_path):
    """The test app with the actor cache on."""
    application = make_app(database_url, tmp_path, **CACHED)
    yield application
    wipe(application)


@pytest.fixture
def client(app):
    return app.test_client()


def second_worker(app, tmp_path):
    """Another app on the same database and cache-generation file: what a second gunicorn worker is."""
    return make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path,
                    CACHE_GENERATIONS_PATH=app.config["CACHE_GENERATIONS_PATH"], **CACHED)


def test_a_token_just_checked_needs_no_statement(client):
    register(client)
    headers = bearer(login(client).get_json()["token"])
    first, second = client.get(ME, headers=headers), client.get(ME, headers=headers)
    assert first.status_code == second.status_code == 200
    # /auth/me reads nothing but the token (SQLite counts the BEGIN too): nothing at all the second time.
    assert statements(first) >= 1 and statements(second) == 0
    assert second.get_json() == first.get_json()


def test_logout_is_refused_at_once_by_a_worker_that_remembered_the_token(app, client, tmp_path):
    register(client)
    token = login(client).get_json()["token"]
    other = second_worker(app, tmp_path).test_client()
    assert other.get(ME, headers=bearer(token)).status_code == 200  # remembered there now
    assert client.post(f"{API}/logout", headers=bearer(token)).status_code == 204
    refused = other.get(ME, headers=bearer(token))
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "invalid_token"


def test_a_password_change_revokes_the_other_tokens_in_every_worker(app, client, tmp_path):
    register(client)
    kept, other_token = login(client).get_json()["token"], login(client).get_json()["token"]
    other = second_worker(app, tmp_path).test_client()
    assert other.get(ME, headers=bearer(other_token)).status_code == 200
    changed = client.post(f"{API}/password", headers=bearer(kept),
                          json={"current_password": GOOD, "new_password": GOOD + "-new"})
    assert changed.status_code == 204, changed.get_json()
    assert other.get(ME, headers=bearer(other_token)).status_code == 401
    assert other.get(ME, headers=bearer(kept)).status_code == 200


def test_a_remembered_token_still_expires_on_time(app, client):
    register(client)
    token = login(client).get_json()["token"]
    with app.app_context():
        _db.session.execute(update(AuthToken).values(expires_at=utcnow() + dt.timedelta(seconds=1)))
        _db.session.commit()
    assert client.get(ME, headers=bearer(token)).status_code == 200
    time.sleep(1.1)
    assert client.get(ME, headers=bearer(token)).status_code == 401


def test_without_a_readable_generation_or_with_the_cache_off_the_database_answers(app, client, tmp_path,
                                                                                 monkeypatch):
    register(client)
    headers = bearer(login(client).get_json()["token"])
    cache = actor_cache(app)
    monkeypatch.setattr(cache, "generation", lambda: None)  # Redis down: generations unreadable
    looked_up = [statements(client.get(ME, headers=headers)) for _ in range(2)]
    assert looked_up[0] >= 1 and looked_up[1] == looked_up[0]
    off = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, AUTH_TOKEN_CACHE_SECONDS=0)
    assert actor_cache(off) is None
    assert [statements(off.test_client().get(ME, headers=headers)) for _ in range(2)] == looked_up


def test_a_revocation_bump_goes_past_an_open_redis_breaker(redis_url):
    import uuid

    import redis

    from backend.caching.generations import RedisGenerations, redis_breaker

    client = redis.Redis.from_url(redis_url, socket_timeout=2)
    prefix = f"sf-test-{uuid.uuid4().hex[:8]}:"
    breaker = redis_breaker()
    breaker.open()  # as after one Redis hiccup in this worker: the caches skip Redis for 5 s
    generations = RedisGenerations(client, prefix, breaker)
    try:
        assert generations.get(["auth:tokens"]) is None  # the breaker refuses reads
        assert generations.bump_now(["auth:tokens"]) is True  # the revocation still reaches Redis
        assert int(client.get(f"{prefix}gen:auth:tokens")) == 1
    finally:
        client.delete(f"{prefix}gen:auth:tokens")
        client.close()
