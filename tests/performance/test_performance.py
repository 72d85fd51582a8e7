"""Admin performance views on every backend: access rules, per-endpoint figures from the metrics files, and
bottleneck findings (slowest endpoints, full scans, N+1, pool waits, failing providers) with their evidence."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from backend.extensions import db as _db
from backend.extensions import integrations
from backend.integrations import ProviderSpec, RetryPolicy, client_for
from backend.integrations.errors import ProviderError
from backend.integrations.fakes import FakeProvider, status
from backend.observability.insight import get_insight
from backend.observability.readout import quantile
from backend.performance.services import TOP_SLOW, scanned_tables, slow_endpoints
from tests.conftest import make_app
from tests.factories import ChefFactory

BASE = "/api/v1/admin/performance"
CHEFS = "/api/v1/coocook/chefs"


@pytest.fixture
def slow_app(app, database_url, tmp_path):
    """Same database, every statement logged as slow (SLOW_QUERY_MS=0) so plans are captured."""
    application = make_app(database_url, tmp_path, SLOW_QUERY_MS=0)
    yield application
    with application.app_context():
        _db.session.remove()
        _db.engine.dispose()


def test_admin_only(client, make_user):
    _, user = make_user("user")
    _, admin = make_user("admin")
    for path in ("/metrics", "/bottlenecks"):
        anonymous = client.get(BASE + path)
        assert anonymous.status_code == 401
        assert anonymous.get_json()["error"]["code"] == "missing_token"
        assert client.get(BASE + path, headers=user).status_code == 403
        answer = client.get(BASE + path, headers=admin)
        assert answer.status_code == 200, answer.get_json()
        assert "private" in answer.headers["Cache-Control"]


def test_metrics_show_percentiles_throughput_errors_and_db_share(client, db, make_user):
    _, admin = make_user("admin")
    ChefFactory.create_batch(3)
    for n in range(6):
        assert client.get(f"{CHEFS}?per_page={n + 1}").status_code == 200  # distinct URLs: DB every time
    assert client.get(f"{CHEFS}/999999").status_code == 404
    body = client.get(f"{BASE}/metrics", headers=admin).get_json()
    row = next(r for r in body["endpoints"] if r["route"] == CHEFS and r["method"] == "GET")
    assert row["requests"] >= 6 and row["status"]["2xx"] >= 6
    assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
    assert 0 < row["db_share"] <= 1 and row["db_statements_per_request"] > 0
    assert row["throughput_rps"] > 0 and body["since"] is not None
    detail = next(r for r in body["endpoints"] if r["route"].endswith("<id:chef_id>"))
    assert detail["client_error_rate"] > 0
    assert {c["layer"] for c in body["caches"]} >= {"l1", "view"}
    assert body["totals"]["requests"] >= 7 and body["pool"]["checkouts"] >= 1


def test_bottlenecks_name_slow_endpoints_full_scans_n_plus_one_and_pool_waits(slow_app, db, make_user):
    _, admin = make_user("admin")
    ChefFactory.create_batch(3)
    client = slow_app.test_client()
    for n in range(5):
        assert client.get(f"{CHEFS}?per_page={n + 1}").status_code == 200
    with slow_app.app_context():
        _db.session.execute(sa.text("SELECT id FROM chefs WHERE bio = 'nothing indexes this'")).all()
        _db.session.remove()
        insight = get_insight()
        insight.record_request("coocook.fake_n_plus_one", 41, 12.5)  # what one request per row looks like
        insight.count_checkout(True, 40.0, False)
    body = client.get(f"{BASE}/bottlenecks", headers=admin).get_json()
    kinds = {f["kind"] for f in body["findings"]}
    assert {"slow_endpoint", "full_scan", "n_plus_one", "pool_waits"} <= kinds, body["findings"]
    # The metrics directory is the test process's (every earlier test's requests are in it), so which
    # endpoints are the TOP_SLOW slowest depends on the order tests ran: check the rule, not a name.
    slow = [f for f in body["findings"] if f["kind"] == "slow_endpoint"]
    assert 1 <= len(slow) <= TOP_SLOW
    assert all(f["evidence"]["requests"] >= 5 and f["evidence"]["p95_ms"] > 0 for f in slow)
    p95s = [f["evidence"]["p95_ms"] for f in slow]
    assert p95s == sorted(p95s, reverse=True)
    scan = next(f for f in body["findings"] if f["kind"] == "full_scan" and "bio" in f["evidence"]["sql"])
    assert "chefs" in scan["subject"] and scan["evidence"]["plan"]
    n1 = next(f for f in body["findings"] if f["kind"] == "n_plus_one" and f["subject"] == "coocook.fake_n_plus_one")
    assert n1["evidence"]["statements_max"] == 41
    pool = next(f for f in body["findings"] if f["kind"] == "pool_waits")
    assert pool["evidence"]["waits"] >= 1 and pool["evidence"]["wait_ms_mean"] > 0
    assert body["thresholds"]["slow_p95_ms"] > 0
    order = [f["severity"] for f in body["findings"]]
    assert order == sorted(order, key=["critical", "warning", "info"].index)


def test_a_failing_provider_is_a_finding_with_its_figures(client, make_user, tmp_path):
    _, admin = make_user("admin")
    name = f"pfake{uuid.uuid4().hex[:8]}"
    integrations.declare(ProviderSpec(name=name, prefix=name.upper(), breaker_failures=50,
                                      retry=RetryPolicy(attempts=1, backoff=0.0, jitter=0.0, max_retry_after=0.0)))
    with FakeProvider(default=status(502)) as fake:
        caller = make_app(f"sqlite:///{tmp_path / 'p.db'}", tmp_path, **{f"{name.upper()}_BASE_URL": fake.url})
        with caller.app_context():
            for _ in range(4):
                with pytest.raises(ProviderError):
                    client_for(name).request_json("GET", "/v1/x")
    body = client.get(f"{BASE}/bottlenecks", headers=admin).get_json()
    finding = next(f for f in body["findings"] if f["kind"] == "provider_failing" and f["subject"] == name)
    assert finding["evidence"]["calls"] == 4 and finding["evidence"]["error_rate"] == 1.0


def _row(route: str, p95: float, requests: int = 10) -> dict:
    return {"method": "GET", "route": route, "requests": requests, "p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95,
            "mean_ms": p95 / 2, "db_share": 0.5, "db_statements_per_request": 2.0, "error_rate": 0.0}


def test_slow_endpoints_are_the_top_by_p95_with_enough_requests():
    rows = [_row(f"/r{i}", float(i)) for i in range(1, 9)] + [_row("/few", 5000.0, requests=4), _row("/big", 1200.0)]
    found = slow_endpoints(rows)
    assert [f["subject"] for f in found] == ["GET /big", "GET /r8", "GET /r7", "GET /r6", "GET /r5"][:TOP_SLOW]
    assert found[0]["severity"] == "critical" and found[1]["severity"] == "info"
    assert found[0]["evidence"]["requests"] == 10


def test_plan_scan_detection():
    assert scanned_tables(["SCAN chefs"]) == ["chefs"]
    assert scanned_tables(["SCAN chefs USING COVERING INDEX ix_chefs_rating"]) == []
    assert scanned_tables(["SEARCH chefs USING INDEX ix (id=?)"]) == []
    assert scanned_tables(["SCAN CONSTANT ROW"]) == []
    assert scanned_tables(["Seq Scan on chefs  (cost=0.00..1.01 rows=1 width=4)"]) == ["chefs"]



def test_quantiles_interpolate_within_the_bucket_like_histogram_quantile():
    buckets = [(0.01, 50.0), (0.1, 90.0), (1.0, 100.0), (float("inf"), 100.0)]
    assert quantile(0.5, buckets) == pytest.approx(0.01)
    assert quantile(0.7, buckets) == pytest.approx(0.01 + 0.09 * 0.5)
    assert quantile(0.99, buckets) == pytest.approx(0.1 + 0.9 * 0.9)
    assert quantile(0.5, [(0.01, 0.0), (float("inf"), 0.0)]) is None
    assert quantile(0.99, [(0.01, 1.0), (float("inf"), 10.0)]) == 0.01  # past the last bound: at least that


def test_a_failing_job_kind_is_a_finding(client, make_user):
    from backend.jobs import services as job_services
    from tests.observability.test_metrics import OUTCOMES

    user, admin = make_user("admin")
    OUTCOMES[:] = ["fail", "fail", "fail"]
    with client.application.app_context():
        for _ in range(3):
            job_services.enqueue("test.metrics_job", {}, user["id"])
    body = client.get(f"{BASE}/bottlenecks", headers=admin).get_json()
    finding = next(f for f in body["findings"] if f["kind"] == "job_failing" and f["subject"] == "test.metrics_job")
    assert finding["evidence"]["outcomes"]["failed"] >= 3 and finding["evidence"]["kind"] == "test.metrics_job"
