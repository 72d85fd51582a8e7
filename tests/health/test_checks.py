"""Liveness, readiness checks, /detailed and /dependencies; a hung dependency never holds a probe.

The tarpit is a loopback TCP server that accepts connections and never answers: Redis (or the job
queue) configured there connects fine and then every command waits, as a wedged server does.
"""

import socket
import threading
import time

import pytest

from backend.integrations.errors import ProviderHTTPError
from backend.integrations.extension import client_for
from backend.integrations.fakes import FakeProvider, ok, status
from tests.conftest import make_app, statements

BASE = "/api/v1/health"
LIMIT = 0.5  # every health answer, whatever hangs behind it


@pytest.fixture
def tarpit():
    """redis://127.0.0.1:<port>: accepts, reads nothing, answers nothing (closed after the test)."""
    server = socket.create_server(("127.0.0.1", 0), backlog=64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except (TimeoutError, OSError):
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join(2)
    for conn in held:  # the stuck check threads now get a closed connection and finish
        conn.close()
    server.close()


@pytest.fixture
def admin(make_user):
    """An admin's auth header."""
    return make_user("admin")[1]


def timed_get(client, url, **kw):
    started = time.monotonic()
    response = client.get(url, **kw)
    return response, time.monotonic() - started


@pytest.mark.parametrize("path", ["", "/live"])
def test_liveness_does_no_io(client, path):
    response = client.get(BASE + path)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert statements(response) == 0


@pytest.mark.parametrize("path", ["/detailed", "/dependencies"])
def test_detailed_and_dependencies_are_admin_only(client, make_user, path):
    assert client.get(BASE + path).status_code == 401
    assert client.get(BASE + path, headers=make_user("user")[1]).status_code == 403


def test_detailed_reports_every_check_with_status_and_latency(client, admin, backend):
    response = client.get(BASE + "/detailed", headers=admin)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "healthy" and body["timestamp"].endswith("+00:00")
    checks = body["checks"]
    assert set(checks) == {"database", "redis", "jobs", "disk", "memory"}
    for check in checks.values():
        assert check["status"] in {"ok", "skipped"} and check["latency_ms"] >= 0
    assert checks["database"]["backend"] == backend
    assert checks["jobs"]["pending"] == 0
    assert 0 < checks["disk"]["free_bytes"] <= checks["disk"]["total_bytes"]
    assert checks["memory"]["rss_bytes"] > 10 * 1024 * 1024  # a Flask app with SQLAlchemy loaded


def test_low_disk_and_high_memory_are_degraded(app, database_url, tmp_path):
    app = make_app(database_url, tmp_path, HEALTH_DISK_MIN_FREE_PERCENT=100.1, HEALTH_MEMORY_MAX_MB=1)
    admin = _admin(app)
    body = app.test_client().get(BASE + "/detailed", headers=admin).get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["disk"]["status"] == "degraded" and body["checks"]["memory"]["status"] == "degraded"
    assert body["checks"]["database"]["status"] == "ok"
    # Degraded is not "not ready": disk and memory are not readiness checks.
    assert app.test_client().get(BASE + "/ready").status_code == 200


def _admin(app) -> dict:
    """An admin's auth header on `app` (tests that call this take the `app` fixture: it wipes the tables)."""
    from backend.auth import services
    from backend.extensions import db

    with app.app_context():
        user = services.create_user(f"health-admin-{time.monotonic_ns()}@example.com", "password-123", "Admin",
                                    "admin", None)
        token = services.issue_token(user["id"])["token"]
        db.session.remove()
    return {"Authorization": f"Bearer {token}"}


def test_detailed_checks_a_configured_redis_and_ready_does_not_need_it(app, database_url, tmp_path, redis_url):
    app = make_app(database_url, tmp_path, REDIS_URL=redis_url)
    response = app.test_client().get(BASE + "/ready")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert list(response.get_json()["checks"]) == ["database"]
    detailed = app.test_client().get(BASE + "/detailed", headers=_admin(app)).get_json()
    assert detailed["checks"]["redis"]["status"] == "ok"


def hung_redis_app(database_url, tmp_path, url):
    # Everything Redis-backed points at the tarpit (throttling too: it never waits on Redis in the
    # request). A long REDIS_SOCKET_TIMEOUT: only the checks' own timeout can keep answers short.
    return make_app(database_url, tmp_path, REDIS_URL=url, REDIS_SOCKET_TIMEOUT=5.0, HEALTH_CHECK_TIMEOUT=0.3)


def test_a_hung_redis_leaves_ready_quick_and_ready(database_url, tmp_path, tarpit):
    client = hung_redis_app(database_url, tmp_path, tarpit).test_client()
    for _ in range(3):
        response, took = timed_get(client, BASE + "/ready")
        assert took < LIMIT, f"/ready took {took:.3f} s"
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["checks"]["database"]["status"] == "ok"
    response, took = timed_get(client, BASE + "/live")
    assert response.status_code == 200 and took < LIMIT


def test_a_hung_redis_degrades_detailed_and_dependencies_within_500_ms(app, database_url, tmp_path, tarpit):
    app = hung_redis_app(database_url, tmp_path, tarpit)
    admin = _admin(app)
    client = app.test_client()
    response, took = timed_get(client, BASE + "/detailed", headers=admin)
    assert took < LIMIT, f"/detailed took {took:.3f} s"
    body = response.get_json()
    assert body["status"] == "degraded" and body["checks"]["redis"]["status"] in {"timeout", "fail"}
    assert body["checks"]["disk"]["status"] == "ok"
    # The breakers keep their state in Redis: reading it would wait REDIS_SOCKET_TIMEOUT (5 s) per provider.
    response, took = timed_get(client, BASE + "/dependencies", headers=admin)
    assert took < LIMIT, f"/dependencies took {took:.3f} s"
    providers = response.get_json()["providers"]
    assert providers and all(p["status"] == "timeout" for p in providers.values()), providers


def test_a_hung_job_queue_degrades_detailed_within_500_ms_and_ready_stays(app, database_url, tmp_path, tarpit):
    # Huey's Redis connections have no socket timeout at all: the check's thread stays stuck until
    # the tarpit closes; later probes do not start another one (the pool would fill up).
    app = make_app(database_url, tmp_path, JOBS_IMMEDIATE=False, JOBS_QUEUE_URL=tarpit)
    admin = _admin(app)
    client = app.test_client()
    for attempt in range(3):
        response, took = timed_get(client, BASE + "/detailed", headers=admin)
        assert took < LIMIT, f"/detailed took {took:.3f} s"
        body = response.get_json()
        assert response.status_code == 200 and body["status"] == "degraded"
        jobs = body["checks"]["jobs"]
        assert jobs["status"] == "timeout"
        if attempt:
            assert jobs["error"] == "previous check still running"
        response, took = timed_get(client, BASE + "/ready")
        assert response.status_code == 200 and took < LIMIT


def test_dependencies_list_each_provider_with_its_last_call(app, database_url, tmp_path):
    with FakeProvider() as fake:
        app = make_app(database_url, tmp_path, MEARI_CONTEXT_BASE_URL=fake.url)
        admin = _admin(app)
        client = app.test_client()
        providers = client.get(BASE + "/dependencies", headers=admin).get_json()["providers"]
        context = providers["meari_context"]
        assert context["configured"] is True and context["breaker"] == "closed" and context["last_call"] is None
        assert context["base_url"] == fake.url
        unconfigured = [p for p in providers.values() if not p["configured"]]
        assert unconfigured and all(p["status"] == "skipped" for p in unconfigured)
        assert "api_key" not in str(providers).lower()

        fake.then(ok({"fine": True}), status(404))
        with app.app_context():
            client_for("meari_context").request_json("GET", "/context")
        last = client.get(BASE + "/dependencies", headers=admin).get_json()["providers"]["meari_context"]["last_call"]
        assert last["error"] is None and last["latency_ms"] > 0

        with app.app_context(), pytest.raises(ProviderHTTPError):
            client_for("meari_context").request_json("GET", "/context")
        last = client.get(BASE + "/dependencies", headers=admin).get_json()["providers"]["meari_context"]["last_call"]
        assert "404" in last["error"]
