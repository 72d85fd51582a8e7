"""SIGTERM drains: readiness turns 503 first, requests keep being served, then a clean stop."""

from __future__ import annotations

import signal
import threading
import time

import pytest
import requests

from tests.deploy.conftest import migrated_server

pytestmark = pytest.mark.slow
DRAIN = 2.0


def test_sigterm_drains_before_stopping(tmp_path):
    server = migrated_server(tmp_path, DRAIN_SECONDS=str(DRAIN))
    base = server.start()
    proc = server.proc
    results: list[tuple[float, str]] = []
    done = threading.Event()

    def client():
        session = requests.Session()
        while not done.is_set():
            started = time.monotonic()
            try:
                outcome = str(session.get(f"{base}/api/v1/coocook/chefs", timeout=5).status_code)
            except requests.RequestException as exc:
                outcome = type(exc).__name__
            results.append((started, outcome))
            time.sleep(0.02)

    threads = [threading.Thread(target=client) for _ in range(3)]
    try:
        assert requests.get(f"{base}/api/v1/health/ready", timeout=5).status_code == 200
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        term_at = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        ready = requests.get(f"{base}/api/v1/health/ready", timeout=5)
        assert ready.status_code == 503 and ready.json()["error"]["code"] == "draining"
        assert requests.get(f"{base}/api/v1/health", timeout=5).status_code == 200  # still serving
        time.sleep(DRAIN - 0.8)
        done.set()
        for thread in threads:
            thread.join(10)
        assert proc.wait(timeout=30) == 0, server.log_tail()
    finally:
        done.set()
        server.stop()
    during = [outcome for started, outcome in results if term_at <= started <= term_at + DRAIN - 0.6]
    assert during, "no request was sent during the drain"
    assert set(during) == {"200"}, during  # nothing reset or refused while draining
    assert all(outcome == "200" for started, outcome in results if started < term_at)
