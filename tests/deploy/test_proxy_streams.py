"""Streams through nginx: /api/v1/events/ reaches the event server unbuffered, events arrive live."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import orjson
import pytest
import requests

from backend import create_app
from backend.extensions import db
from backend.jobs import services, store
from deploy.serve_proxy import nginx_command, write_config
from scripts.server import Gunicorn, free_port
from tests.deploy.conftest import migrated_server
from tests.jobs.conftest import queued_app, script  # noqa: F401  (registers the test.scripted handler)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """nginx -> API gunicorn and event server gunicorn, one SQLite file; yields (base, local app)."""
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        pytest.skip("nginx is not installed (apt-get install nginx-light; .ci/run installs it)")
    tmp = tmp_path_factory.mktemp("streams")
    api = migrated_server(tmp, EVENTS_PUBLIC_URL="")
    events = Gunicorn({**api.env, "EVENTS_HEARTBEAT_SECONDS": "1"}, app="backend.events.wsgi:app",
                      config="gunicorn_events.py", health_path="/api/v1/events/health", log_path=tmp / "events.log")
    prefix, port = tmp / "nginx", free_port()
    with api, events:
        config = write_config(prefix, f"127.0.0.1:{port}", api.base.removeprefix("http://"),
                              events.base.removeprefix("http://"))
        proc = subprocess.Popen(nginx_command(config), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 20
            while not _answers(f"{base}/api/v1/events/health"):
                assert time.monotonic() < deadline and proc.poll() is None, "nginx did not come up"
                time.sleep(0.1)
            app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": api.env["DATABASE_URL"],
                              "JOBS_IMMEDIATE": False, "JOBS_QUEUE_URL": f"sqlite:///{tmp / 'queue.db'}",
                              "EVENTS_PUBLIC_URL": "", "CACHE_GENERATIONS_PATH": str(tmp / "gens")})
            yield base, app
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_events_stream_live_through_the_proxy(stack):
    base, app = stack
    from backend.auth import services as auth

    with app.app_context():
        user = auth.create_user(f"stream{time.time_ns()}@example.com", "a-long-passphrase-9", "S", "user", None)
        job = services.enqueue("test.scripted", {}, user["id"])
        claimed = store.claim(job["id"], 60)
        db.session.remove()
    assert job["stream_url"].startswith("/api/v1/events/jobs/")  # same host behind nginx
    with requests.get(base + job["stream_url"], headers={"Accept": "application/x-ndjson"}, stream=True,
                      timeout=10) as response:
        assert response.status_code == 200
        lines = response.iter_lines()
        for n in range(3):
            with app.app_context():
                written = time.monotonic()
                store.append_event(job["id"], "progress", {"n": n}, fence=claimed.attempts)
                db.session.remove()
            event = next(e for e in map(orjson.loads, lines) if e.get("type") == "progress")
            assert event["data"] == {"n": n}
            assert time.monotonic() - written < 1.0  # nginx passes it on at once (proxy_buffering off)
