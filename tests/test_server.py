"""Real Gunicorn (gunicorn_config.py, two sync workers) on a migrated, seeded SQLite file, over HTTP.

Each worker has its own in-process response cache; the test proves both workers answered (each
misses exactly once per cache generation) and that after a write handled by one of them, neither
serves the old body.
"""

from __future__ import annotations

import datetime as dt
import re
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from scripts.server import Gunicorn, free_port, run_flask, server_env

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKERS = 2
pytestmark = pytest.mark.slow
__all__ = ["BIN", "ROOT", "free_port"]  # tests/common/test_body_limit_server.py imports them from here


def cache_state(response) -> str:
    match = re.search(r'cache;desc="(\w+)"', response.headers.get("Server-Timing", ""))
    assert match, response.headers.get("Server-Timing")
    return match.group(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Migrate and seed a SQLite file with the operator commands, then serve it with Gunicorn."""
    tmp = tmp_path_factory.mktemp("server")
    env = server_env({"DATABASE_URL": f"sqlite:///{tmp / 'server.db'}", "WEB_CONCURRENCY": str(WORKERS),
                      "CACHE_GENERATIONS_PATH": str(tmp / "cache-generations"), "INSIGHT_DIR": str(tmp / "insight"),
                      "APP_ENV": "development"},
                     drop=("REDIS_URL", "CACHE_TYPE", "DATABASE_URL", "APP_ENV", "TEST_DATABASE_URL"))
    run_flask("db", "upgrade", env=env, timeout=120)
    run_flask("seed", "--scale", "small", env=env, timeout=120)
    gunicorn = Gunicorn(env, log_path=tmp / "gunicorn.log", timeout=30)
    gunicorn.start()
    try:
        yield {"base": f"{gunicorn.base}/api/v1", "proc": gunicorn.proc, "log": gunicorn.log_path}
    finally:
        gunicorn.stop(grace=5)


def get_many(url: str, count: int) -> list[requests.Response]:
    """`count` GETs, 8 at a time: sync workers serve one request each, so both workers get some."""
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: requests.get(url, timeout=10), range(count)))


def misses_until_both_workers_answered(url: str, check, misses: int = 0) -> int:
    """GET `url` until every worker has missed once (one miss per worker per generation)."""
    for _ in range(25):
        for response in get_many(url, 16):
            assert response.status_code == 200
            check(response.json())
            misses += cache_state(response) == "miss"
        if misses >= WORKERS:
            break
    return misses


def test_gunicorn_serves_real_requests_and_stays_fresh_across_workers(server):
    base = server["base"]
    listing = requests.get(f"{base}/coocook/chefs?per_page=5", timeout=10)
    assert listing.status_code == 200
    body = listing.json()
    assert len(body["items"]) == 5 and body["total"] > 100 and body["next_cursor"]
    assert re.search(r'db;dur=[\d.]+;desc="\d+ queries"', listing.headers["Server-Timing"])
    assert listing.headers["Cache-Control"] == "public, max-age=10"

    detail_url = f"{base}/coocook/chefs/1"
    detail = requests.get(detail_url, timeout=10)
    assert detail.status_code == 200 and detail.json()["name"] == "Charlie Chef"
    count = detail.json()["booking_count"]
    assert "Server-Timing" in detail.headers

    # Warm both workers' caches with the current value: exactly one miss per worker, then hits.
    assert cache_state(detail) == "miss"

    def unchanged(chef):
        assert chef["booking_count"] == count

    assert misses_until_both_workers_answered(detail_url, unchanged, misses=1) == WORKERS

    login = requests.post(f"{base}/auth/login", json={"email": "user@softfactory.dev", "password": "user-password"},
                          timeout=10)
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['token']}"}
    me = requests.get(f"{base}/auth/me", headers=auth, timeout=10)
    assert me.json()["email"] == "user@softfactory.dev" and "private" in me.headers["Cache-Control"]
    booking = {"chef_id": 1, "date": (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=200)).isoformat(),
               "slot": "dinner", "guests": 2}
    created = requests.post(f"{base}/coocook/bookings", json=booking, headers=auth, timeout=10)
    assert created.status_code == 201, created.text
    assert "Server-Timing" in created.headers
    again = requests.post(f"{base}/coocook/bookings", json=booking, headers=auth, timeout=10)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "slot_taken"

    def fresh(chef):
        assert chef["booking_count"] == count + 1  # no worker serves its pre-write entry

    assert misses_until_both_workers_answered(detail_url, fresh) == WORKERS
    listed = requests.get(f"{base}/coocook/chefs?per_page=100&sort=newest", timeout=10).json()
    assert listed["total"] == body["total"]

    proc = server["proc"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    log = server["log"].read_text()
    assert "Traceback" not in log, log
