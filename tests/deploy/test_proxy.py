"""nginx in front of sync workers: half-sent requests never reach a worker, limits answer JSON."""

from __future__ import annotations

import socket
import time

import pytest
import requests

pytestmark = pytest.mark.slow


def half_requests(base: str, count: int) -> list[socket.socket]:
    """`count` connections that send the start of a request header and then stall."""
    host, port = base.removeprefix("http://").split(":")
    sockets = []
    for _ in range(count):
        sock = socket.create_connection((host, int(port)), timeout=5)
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        sockets.append(sock)
    return sockets


def timed_get(url: str) -> tuple[int, float]:
    started = time.monotonic()
    response = requests.get(url, timeout=10)
    return response.status_code, time.monotonic() - started


def test_fifty_half_sent_requests_do_not_stop_a_normal_one_through_the_proxy(proxy):
    stalled = half_requests(proxy, 50)
    try:
        time.sleep(0.3)
        status, seconds = timed_get(f"{proxy}/api/v1/coocook/chefs")
        assert status == 200
        assert seconds < 1.0, f"a normal request took {seconds:.2f} s behind 50 slow clients"
    finally:
        for sock in stalled:
            sock.close()


def test_without_the_proxy_the_same_slow_clients_hold_the_workers(gunicorn):
    """What the proxy is for: two sync workers, a handful of half-sent headers, and nobody is served."""
    stalled = half_requests(gunicorn, 6)
    try:
        time.sleep(0.3)
        with pytest.raises(requests.Timeout):
            requests.get(f"{gunicorn}/api/v1/health", timeout=1.5)
    finally:
        for sock in stalled:
            sock.close()


def test_a_body_over_the_limit_is_a_json_413_from_the_proxy(proxy):
    response = requests.post(f"{proxy}/api/v1/auth/login", data=b"x" * (1024 * 1024 + 10),
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_the_apps_answers_and_headers_come_through_unchanged(proxy):
    response = requests.get(f"{proxy}/api/v1/coocook/chefs", headers={"Accept-Encoding": "br"}, timeout=5)
    assert response.status_code == 200 and response.json()["items"] == []
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Server-Timing" in response.headers
