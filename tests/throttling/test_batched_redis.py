"""Redis counted in batches: one budget for every worker, a bounded softness, and Redis may come and go.

Two app instances on one Redis stand for two gunicorn workers. The limit is soft by design
(backend/throttling/counters.py, `SharedWindows`): a worker sees the other workers' requests at its
next flush, so the assertions allow what the documented bound allows and no more.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import threading
import time
import uuid

import pytest
import redis

from backend.throttling.wsgi import ClientLimit
from scripts.server import free_port
from tests.conftest import make_app, wipe

HEALTH = "/api/v1/health"
SETTLE = 0.1  # well past a flush: 5 ms interval plus a loopback round trip


@pytest.fixture
def limited(database_url, tmp_path):
    """Build apps with low limits; their flush threads stopped and databases wiped afterwards."""
    made = []

    def build(**config):
        app = make_app(database_url, tmp_path / uuid.uuid4().hex, **config)
        made.append(app)
        return app

    yield build
    for app in made:
        app.wsgi_app.close()
        wipe(app)


def fresh_ip() -> dict:
    """A client address no other test (or run sharing the Redis database) uses."""
    raw = uuid.uuid4().bytes
    return {"REMOTE_ADDR": f"10.{raw[0]}.{raw[1]}.{raw[2]}"}


def shared_count(url: str, ip: str) -> int:
    """The client's count in Redis for the current window (0 when there is no key)."""
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return sum(int(client.get(key) or 0) for key in client.scan_iter(match=f"sf:rl:*:ip:{ip}:*"))
    finally:
        client.close()


def wait_for_count(url: str, ip: str, expected: int, timeout: float = 5.0) -> int:
    """Poll Redis until the client's count is `expected` (or the timeout); returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = shared_count(url, ip)
        if value == expected or time.monotonic() > deadline:
            return value
        time.sleep(0.01)


def test_counts_are_shared_by_workers_within_a_flush(limited, redis_url):
    shared = {"THROTTLE_DEFAULT": "4 per minute", "RATELIMIT_STORAGE_URI": redis_url}
    first, second = limited(**shared).test_client(), limited(**shared).test_client()
    ip = fresh_ip()
    assert [first.get(HEALTH, environ_base=ip).status_code for _ in range(4)] == [200] * 4
    assert wait_for_count(redis_url, ip["REMOTE_ADDR"], 4) == 4  # flushed without another request
    # The second worker has not flushed this client yet: its first request is judged on its own
    # count alone (the documented softness: one flush's worth of requests per worker) ...
    assert second.get(HEALTH, environ_base=ip).status_code == 200
    time.sleep(SETTLE)
    # ... and once its flush has brought back the shared total, the spent budget binds it too.
    refused = second.get(HEALTH, environ_base=ip)
    assert refused.status_code == 429 and refused.headers["X-RateLimit-Remaining"] == "0"
    assert wait_for_count(redis_url, ip["REMOTE_ADDR"], 6) == 6  # refusals count as well


def test_a_flood_across_two_workers_ends_in_429s_within_the_softness(limited, redis_url):
    limit = 30
    shared = {"THROTTLE_DEFAULT": f"{limit} per minute", "RATELIMIT_STORAGE_URI": redis_url}
    workers = [limited(**shared).test_client(), limited(**shared).test_client()]
    ip = fresh_ip()
    statuses = []
    for i in range(4 * limit):
        statuses.append(workers[i % 2].get(HEALTH, environ_base=ip).status_code)
        time.sleep(0.001)  # a sync worker waits on its socket between requests: the flusher runs then
    admitted = statuses.count(200)
    assert set(statuses) == {200, 429}
    # Per-worker counting would admit 2 x 30; one shared budget admits 30 plus a few per worker.
    assert limit <= admitted <= limit + 15, statuses
    assert statuses[-limit:] == [429] * limit
    assert wait_for_count(redis_url, ip["REMOTE_ADDR"], 4 * limit) == 4 * limit  # no request lost


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own on a free port: `start()` / `stop()` it at will."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    procs = []

    class Server:
        url = f"redis://127.0.0.1:{port}/0"

        def start(self):
            procs.append(subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                           "--appendonly", "no", "--dir", str(tmp_path)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            client = redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
            deadline = time.monotonic() + 10
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)

        def stop(self):
            procs[-1].terminate()
            procs[-1].wait(timeout=10)

    yield Server()
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_redis_going_away_mid_run_falls_back_and_comes_back(limited, own_redis):
    own_redis.start()
    config = {"THROTTLE_DEFAULT": "8 per minute", "RATELIMIT_STORAGE_URI": own_redis.url,
              "THROTTLE_RETRY_SECONDS": 0.2}
    client = limited(**config).test_client()
    ip = fresh_ip()
    assert [client.get(HEALTH, environ_base=ip).status_code for _ in range(3)] == [200] * 3
    assert wait_for_count(own_redis.url, ip["REMOTE_ADDR"], 3) == 3

    own_redis.stop()
    during = [client.get(HEALTH, environ_base=ip) for _ in range(7)]
    # No 500: the worker keeps counting on from the last shared total (3), so the 9th is refused.
    assert [r.status_code for r in during] == [200] * 5 + [429] * 2
    assert [r.headers["X-RateLimit-Remaining"] for r in during[:5]] == ["4", "3", "2", "1", "0"]

    own_redis.start()  # empty: this Redis keeps nothing across a restart
    # The counts made while it was away reach it at the next retry, without a request to carry them.
    assert wait_for_count(own_redis.url, ip["REMOTE_ADDR"], 7) == 7
    assert client.get(HEALTH, environ_base=ip).status_code == 200  # 7 shared + 1: within the limit
    assert wait_for_count(own_redis.url, ip["REMOTE_ADDR"], 8) == 8
    # A second worker shares the recovered count: after one request (its softness) it is refused.
    other = limited(**config).test_client()
    assert other.get(HEALTH, environ_base=ip).status_code == 200
    time.sleep(SETTLE)
    assert other.get(HEALTH, environ_base=ip).status_code == 429


def _tiny_app(environ, start_response):
    start_response("200 OK", [("Content-Length", "0")])
    return [b""]


def _requests(limit: ClientLimit, ip: str, n: int) -> list[str]:
    statuses = []
    for _ in range(n):
        limit({"REMOTE_ADDR": ip}, lambda status, headers, exc_info=None: statuses.append(status[:3]))
    return statuses


def _child(limit: ClientLimit, ip: str, url: str) -> None:
    """In a forked worker: count 3 more and see them reach Redis (so this process has a flusher)."""
    assert _requests(limit, ip, 3) == ["200"] * 3
    os._exit(0 if wait_for_count(url, ip, 5) == 5 else 1)


def test_no_thread_before_the_first_request_and_a_fresh_one_after_fork(redis_url):
    before = threading.active_count()
    limit = ClientLimit(_tiny_app, "100 per minute", "1000 per minute", redis_url, {})
    assert threading.active_count() == before  # nothing started by building the app
    ip = fresh_ip()["REMOTE_ADDR"]
    assert _requests(limit, ip, 2) == ["200"] * 2
    assert threading.active_count() == before + 1
    assert wait_for_count(redis_url, ip, 2) == 2
    # A forked gunicorn worker inherits no running thread: its first request starts its own.
    child = multiprocessing.get_context("fork").Process(target=_child, args=(limit, ip, redis_url))
    child.start()
    child.join(timeout=20)
    assert child.exitcode == 0
    limit.close()
