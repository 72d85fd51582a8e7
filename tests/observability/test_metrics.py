"""Request, cache, DB, pool, outbound, breaker, job and rate-limit metrics, read back from the multiprocess files."""

from __future__ import annotations

import uuid

import pytest

from backend.extensions import integrations
from backend.integrations import ProviderSpec, RetryPolicy, client_for
from backend.integrations.errors import ProviderError
from backend.integrations.fakes import FakeProvider, ok, status
from backend.jobs import services as job_services
from backend.jobs.errors import JobFailed
from backend.jobs.registry import job_handler
from backend.observability.metrics import RequestMetrics
from tests.conftest import make_app
from tests.factories import ChefFactory
from tests.observability.helpers import histogram_count, value

CHEFS = "/api/v1/coocook/chefs"
RULE = "/api/v1/coocook/chefs"
DETAIL_RULE = "/api/v1/coocook/chefs/<id:chef_id>"
OUTCOMES: list[str] = []


@job_handler("test.metrics_job", max_attempts=1)
def _metrics_job(ctx, payload):
    if OUTCOMES and OUTCOMES.pop(0) == "fail":
        raise JobFailed("bad_input", "scripted failure")
    return {"ok": True}


def test_requests_are_counted_per_rule_status_class_and_cache_layer(app, client, db):
    chef = ChefFactory()
    before = {k: value("sf_http_requests", route=RULE, status="2xx", method="GET")
              for k in ("x",)}["x"]
    l1_hit, l1_miss = value("sf_cache_requests", layer="l1", result="hit"), \
        value("sf_cache_requests", layer="l1", result="miss")
    view_miss, view_hit = value("sf_cache_requests", layer="view", result="miss"), \
        value("sf_cache_requests", layer="view", result="hit")
    l1_304 = value("sf_http_not_modified", layer="l1")
    statements = value("sf_db_statements", route=RULE)
    hist = histogram_count("sf_http_request_duration_seconds", route=RULE, method="GET")

    first = client.get(CHEFS)  # miss in both layers, answered from the database
    assert first.status_code == 200
    second = client.get(CHEFS)  # L1 hit
    etag = second.headers["ETag"]
    assert client.get(CHEFS, headers={"If-None-Match": etag}).status_code == 304  # L1 304
    assert client.get(f"{CHEFS}/{chef.id}").status_code == 200

    assert value("sf_http_requests", route=RULE, status="2xx", method="GET") - before == 2
    assert value("sf_http_requests", route=RULE, status="3xx", method="GET") >= 1
    assert histogram_count("sf_http_request_duration_seconds", route=RULE, method="GET") - hist == 3
    assert value("sf_cache_requests", layer="l1", result="hit") - l1_hit == 2
    assert value("sf_cache_requests", layer="l1", result="miss") - l1_miss >= 1
    assert value("sf_cache_requests", layer="view", result="miss") - view_miss >= 1
    assert value("sf_cache_requests", layer="view", result="hit") - view_hit == 0
    assert value("sf_http_not_modified", layer="l1") - l1_304 == 1
    assert value("sf_db_statements", route=RULE) - statements >= 1  # the miss ran SQL, the hits none
    assert value("sf_http_requests", route=DETAIL_RULE, method="GET") >= 1  # the rule, not /chefs/<n>
    assert value("sf_db_pool_connections", state="size") >= 1  # this worker's pool, pid-labelled


def test_hostile_paths_and_methods_never_become_labels(client):
    token = uuid.uuid4().hex
    before = value("sf_http_requests", route="<unmatched>")
    assert client.get(f"/api/v1/{token}").status_code == 404
    assert client.open(f"/api/v1/coocook/chefs/{10**30}", method="GET").status_code == 404
    response = client.open(CHEFS, method=f"X{token[:6].upper()}")
    assert response.status_code in (400, 405, 501)
    assert value("sf_http_requests", route="<unmatched>") - before >= 2
    assert value("sf_http_requests", method="OTHER") >= 1
    import os

    from backend.observability import readout
    from backend.observability.multiproc import ENV

    text = repr(readout.samples(os.environ[ENV]))
    assert token not in text and token[:6].upper() not in text


def test_outbound_calls_retries_and_breaker_state(tmp_path):
    name = f"mfake{uuid.uuid4().hex[:8]}"
    integrations.declare(ProviderSpec(name=name, prefix=name.upper(), breaker_failures=2, breaker_reset=30,
                                      retry=RetryPolicy(attempts=3, backoff=0.01, jitter=0.0, max_retry_after=0.1),
                                      connect_timeout=0.5, read_timeout=0.5, deadline=2.0))
    with FakeProvider() as fake:
        app = create(tmp_path, **{f"{name.upper()}_BASE_URL": fake.url})
        fake.then(status(503), ok({"x": 1}))
        with app.app_context():
            assert client_for(name).request_json("GET", "/v1/x") == {"x": 1}
        assert value("sf_outbound_requests", provider=name, outcome="ok") == 1
        assert value("sf_outbound_retries", provider=name) == 1
        assert histogram_count("sf_outbound_duration_seconds", provider=name) == 1
        assert value("sf_outbound_breaker_state", provider=name) == 0
        fake.default = status(500)
        with app.app_context():
            for _ in range(2):
                with pytest.raises(ProviderError):
                    client_for(name).request_json("GET", "/v1/x")
        # Two failed attempts open the breaker (fail_max=2): both calls end "provider_unavailable".
        assert value("sf_outbound_requests", provider=name, outcome="provider_unavailable") == 2
        assert value("sf_outbound_requests", provider=name) == 3
        assert value("sf_outbound_breaker_state", provider=name) == 2  # open


def create(tmp_path, **overrides):
    return make_app(f"sqlite:///{tmp_path / 'x.db'}", tmp_path, **overrides)


def test_jobs_are_counted_per_kind_and_outcome(app, make_user):
    user, _ = make_user("user")
    ok_before = value("sf_jobs", kind="test.metrics_job", outcome="succeeded")
    failed_before = value("sf_jobs", kind="test.metrics_job", outcome="failed")
    OUTCOMES[:] = ["ok", "fail"]
    with app.app_context():
        job_services.enqueue("test.metrics_job", {}, user["id"])
        job_services.enqueue("test.metrics_job", {}, user["id"])
    assert value("sf_jobs", kind="test.metrics_job", outcome="succeeded") - ok_before == 1
    assert value("sf_jobs", kind="test.metrics_job", outcome="failed") - failed_before == 1
    assert histogram_count("sf_job_duration_seconds", kind="test.metrics_job") >= 2


def test_rate_limit_refusals_are_counted(database_url, tmp_path):
    limited = make_app(database_url, tmp_path, THROTTLE_DEFAULT="2 per minute", THROTTLE_PER_IP="1000 per minute")
    before = value("sf_rate_limited", scope="client")
    client = limited.test_client()
    codes = [client.get("/api/v1/health/live").status_code for _ in range(4)]
    assert codes.count(429) == 2
    assert value("sf_rate_limited", scope="client") - before == 2
    assert value("sf_http_requests", status="4xx", route="<unmatched>") >= 2  # 429s answered before Flask


def test_metrics_off_installs_nothing(database_url, tmp_path):
    off = make_app(database_url, tmp_path, METRICS_ENABLED=False)
    layer, seen = off.wsgi_app, set()
    while layer is not None and id(layer) not in seen:  # a layer may point back at the Flask app
        seen.add(id(layer))
        assert not isinstance(layer, RequestMetrics)
        layer = getattr(layer, "wsgi_app", None) or getattr(layer, "app", None)
    assert len(seen) > 3  # the walk went through the middleware stack


def test_the_job_worker_reports_queue_depth_and_rows(database_url, tmp_path, make_user):
    from backend.observability.metrics import refresh_jobs
    from tests.conftest import wipe

    queued = make_app(database_url, tmp_path, JOBS_IMMEDIATE=False, JOBS_QUEUE_URL=f"sqlite:///{tmp_path / 'q.db'}")
    try:
        user, _ = make_user("user")
        with queued.app_context():
            for _ in range(3):
                job_services.enqueue("test.metrics_job", {}, user["id"])
        refresh_jobs(queued)
        # This process's value: the directory's merge ("mostrecent" across processes) also holds what
        # job workers of other tests wrote later into the same per-host directory.
        from backend.observability import families  # here: families are made once the directory is set

        assert families.job_queue_depth._value.get() == 3
        assert families.job_rows.labels("queued")._value.get() == 3
        assert families.job_rows.labels("running")._value.get() == 0
    finally:
        wipe(queued)
