"""The outbound client against a real loopback fake: retries, waits, deadline, breaker, secrets."""

from __future__ import annotations

import logging
import time
import uuid

import pytest
from flask import Blueprint

from backend import create_app
from backend.common.api import api_route
from backend.extensions import integrations
from backend.integrations import (
    ProviderBadResponse,
    ProviderHTTPError,
    ProviderNotConfigured,
    ProviderSpec,
    ProviderTimeout,
    ProviderUnavailable,
    RetryPolicy,
    client_for,
)
from backend.integrations.fakes import FakeProvider, garbage, ok, refused_url, slow, status, trickle

SECRET = "sk-test-secret-value"


def spec(name: str, **kw) -> ProviderSpec:
    """A provider with small waits (tests measure them; the house default is 1 s then 2 s)."""
    defaults = {"retry": RetryPolicy(attempts=3, backoff=0.05, jitter=0.0, max_retry_after=0.3),
                "connect_timeout": 0.5, "read_timeout": 0.5, "deadline": 2.0, "breaker_failures": 3,
                "breaker_reset": 0.5}
    return integrations.declare(ProviderSpec(name=name, prefix=name.upper(), **{**defaults, **kw}))


@pytest.fixture
def provider(tmp_path):
    """(app, name, fake): an app whose provider `name` points at a fresh fake; waits are recorded."""
    name = f"fake{uuid.uuid4().hex[:8]}"
    spec(name)
    fake = FakeProvider()
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                      "CACHE_GENERATIONS_PATH": str(tmp_path / "gen"), f"{name.upper()}_BASE_URL": fake.url,
                      f"{name.upper()}_API_KEY": SECRET})
    yield app, name, fake
    fake.close()


def call(app, name, method="GET", path="/v1/thing", **kw):
    with app.app_context():
        return client_for(name).request_json(method, path, **kw)


def waits_of(app, name) -> list[float]:
    """Replace the client's sleep with a recorder (the waits still happen, for real timing)."""
    recorded: list[float] = []
    with app.app_context():
        client = client_for(name)

    def sleep(seconds: float) -> None:
        recorded.append(seconds)
        time.sleep(seconds)

    client.sleep = sleep
    return recorded


def test_a_success_sends_the_key_and_returns_json(provider):
    app, name, fake = provider
    fake.then(ok({"answer": 42}))
    assert call(app, name) == {"answer": 42}
    assert fake.requests[0].headers["Authorization"] == f"Bearer {SECRET}"


def test_transient_failures_are_retried_with_backoff_then_succeed(provider):
    app, name, fake = provider
    waits = waits_of(app, name)
    fake.then(status(503), status(502), ok({"fine": True}))
    assert call(app, name) == {"fine": True}
    assert len(fake.requests) == 3
    assert waits == pytest.approx([0.05, 0.10])  # backoff * 2**(n-1), no jitter in this policy
    gaps = [b.at - a.at for a, b in zip(fake.requests, fake.requests[1:], strict=False)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.10


def test_the_default_policy_is_three_attempts_waiting_one_then_two_seconds():
    policy = RetryPolicy()
    assert (policy.attempts, policy.backoff) == (3, 1.0)  # waits 1 s, then 2 s (+ up to 0.25 s jitter)


def test_the_last_failure_raises_the_providers_error(provider):
    app, name, fake = provider
    fake.default = status(500)
    with pytest.raises(ProviderHTTPError) as caught:
        call(app, name)
    assert caught.value.upstream_status == 500 and caught.value.provider == name
    assert caught.value.status == 502
    assert len(fake.requests) == 3


def test_retry_after_is_honoured_and_capped(provider):
    app, name, fake = provider
    waits = waits_of(app, name)
    fake.then(status(429, retry_after=0.2), status(429, retry_after=3600), ok())
    call(app, name)
    assert waits == pytest.approx([0.2, 0.3])  # the second is capped at max_retry_after


@pytest.mark.parametrize("code", [400, 401, 404, 422])
def test_client_errors_are_not_retried(provider, code):
    app, name, fake = provider
    fake.default = status(code)
    with pytest.raises(ProviderHTTPError):
        call(app, name)
    assert len(fake.requests) == 1


def test_a_post_is_retried_only_with_an_idempotency_key(provider):
    app, name, fake = provider
    fake.then(status(503))
    with pytest.raises(ProviderHTTPError):
        call(app, name, "POST", json={"a": 1})
    assert len(fake.requests) == 1
    fake.then(status(503), ok())
    assert call(app, name, "POST", json={"a": 1}, idempotency_key="job-7") == {"ok": True}
    assert [r.headers.get("Idempotency-Key") for r in fake.requests[1:]] == ["job-7", "job-7"]


def test_garbage_is_a_bad_response(provider):
    app, name, fake = provider
    fake.then(garbage())
    with pytest.raises(ProviderBadResponse):
        call(app, name)


def test_refused_connections_are_retried_then_raised(tmp_path):
    name = f"refused{uuid.uuid4().hex[:6]}"
    spec(name)
    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                      "CACHE_GENERATIONS_PATH": str(tmp_path / "gen"), f"{name.upper()}_BASE_URL": refused_url()})
    with app.app_context(), pytest.raises(Exception) as caught:
        client_for(name).request("GET", "/")
    assert caught.value.code in ("provider_error", "provider_unavailable")


@pytest.mark.parametrize("behaviour", [slow(5), trickle(0.05, size=200)], ids=["slow", "trickle"])
def test_the_deadline_holds_against_slow_and_trickling_providers(tmp_path, behaviour):
    """A trickle defeats per-read timeouts (each byte comes within read_timeout); the deadline does not."""
    name = f"slow{uuid.uuid4().hex[:6]}"
    spec(name, deadline=0.8, read_timeout=0.5, retry=RetryPolicy(attempts=1))
    with FakeProvider(default=behaviour) as fake:
        app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                          "CACHE_GENERATIONS_PATH": str(tmp_path / "gen"), f"{name.upper()}_BASE_URL": fake.url})
        started = time.monotonic()
        with pytest.raises(ProviderTimeout):
            call(app, name)
        assert time.monotonic() - started < 0.8 + 0.5  # the deadline plus a generous margin


def test_the_breaker_opens_fails_fast_half_opens_and_closes(provider):
    app, name, fake = provider
    fake.default = status(503)
    with pytest.raises(ProviderHTTPError):
        call(app, name)  # 3 attempts = 3 failures = breaker_failures: it opens
    before = len(fake.requests)
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        call(app, name)
    assert time.monotonic() - started < 0.05 and len(fake.requests) == before  # no request sent
    time.sleep(0.6)  # breaker_reset: the next call is a trial (half-open)
    fake.default = ok({"back": True})
    assert call(app, name) == {"back": True}
    with app.app_context():
        assert client_for(name).breaker.current_state == "closed"


def test_four_xx_do_not_open_the_breaker(provider):
    app, name, fake = provider
    fake.default = status(404)
    for _ in range(5):
        with pytest.raises(ProviderHTTPError):
            call(app, name)
    with app.app_context():
        assert client_for(name).breaker.current_state == "closed"


def test_an_unconfigured_provider_says_so_and_status_hides_the_key(provider, tmp_path):
    app, name, _ = provider
    other = f"absent{uuid.uuid4().hex[:6]}"
    spec(other)
    with app.app_context():
        with pytest.raises(ProviderNotConfigured) as caught:
            client_for(other).request("GET", "/")
        assert f"{other.upper()}_BASE_URL" in caught.value.message
        rows = {row["name"]: row for row in integrations.state().status()}
    assert rows[other]["configured"] is False and rows[name]["configured"] is True
    assert rows[name]["has_api_key"] is True
    assert SECRET not in repr(rows) and SECRET not in repr(client_for(name, app))


def test_failed_attempts_log_a_warning_without_secrets(provider, caplog):
    app, name, fake = provider
    fake.then(status(503), ok())
    with caplog.at_level(logging.WARNING, logger="backend.integrations.client"):
        call(app, name, path="/v1/thing?api_key=leaky")
    (record,) = [r for r in caplog.records if "attempt" in r.getMessage()]
    message = record.getMessage()
    assert name in message and "attempt 1" in message and "retrying in 0.05 s" in message
    assert SECRET not in message and "leaky" not in message


def test_a_route_calling_a_dead_provider_answers_json_fast(tmp_path):
    """A slow provider cannot hold a worker past its deadline: the route answers 504 in the house shape."""
    name = f"route{uuid.uuid4().hex[:6]}"
    spec(name, deadline=0.5, retry=RetryPolicy(attempts=1))
    bp = Blueprint(f"bp_{name}", __name__)

    @api_route(bp, "/call", summary="test only")
    def call_provider():
        return client_for(name).request_json("GET", "/slow")

    with FakeProvider(default=slow(5)) as fake:
        app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                          "CACHE_GENERATIONS_PATH": str(tmp_path / "gen"), f"{name.upper()}_BASE_URL": fake.url})
        app.register_blueprint(bp, url_prefix="/test")
        started = time.monotonic()
        response = app.test_client().get("/test/call")
        assert time.monotonic() - started < 1.5
    assert response.status_code == 504
    assert response.get_json()["error"]["code"] == "provider_timeout"
    assert response.get_json()["error"]["details"]["provider"] == name


def make(tmp_path, name, url, **config):
    return create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                       "CACHE_GENERATIONS_PATH": str(tmp_path / "gen"), f"{name.upper()}_BASE_URL": url,
                       "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}:", **config})


def test_the_breaker_is_shared_by_workers_through_redis(tmp_path, redis_url):
    """Two app instances = two gunicorn workers: one opens the breaker, the other fails fast."""
    name = f"shared{uuid.uuid4().hex[:6]}"
    spec(name, breaker_reset=30)
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    with FakeProvider(default=status(503)) as fake:
        first = make(tmp_path, name, fake.url, REDIS_URL=redis_url, CACHE_KEY_PREFIX=prefix)
        second = make(tmp_path, name, fake.url, REDIS_URL=redis_url, CACHE_KEY_PREFIX=prefix)
        with pytest.raises(ProviderHTTPError):
            call(first, name)
        sent = len(fake.requests)
        with pytest.raises(ProviderUnavailable):
            call(second, name)
        assert len(fake.requests) == sent


def test_a_dead_redis_leaves_breakers_working_per_process(tmp_path):
    name = f"noredis{uuid.uuid4().hex[:6]}"
    spec(name)
    dead_redis = refused_url().replace("http", "redis") + "/0"
    with FakeProvider() as fake:
        fake.then(status(503), ok({"still": "works"}))
        app = make(tmp_path, name, fake.url, REDIS_URL=dead_redis)
        assert call(app, name) == {"still": "works"}
        fake.default = status(503)
        with pytest.raises(ProviderHTTPError):
            call(app, name)
        with pytest.raises(ProviderUnavailable):
            call(app, name)  # opened in this process's memory
