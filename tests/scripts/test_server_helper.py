"""scripts.server: the one managed Gunicorn (start on a free port, wait for health, stop, keep logs)."""

from __future__ import annotations

import socket

import pytest
import requests

from scripts.server import Gunicorn, free_port, http_status, server_env

pytestmark = pytest.mark.slow


def test_free_port_can_be_bound():
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # raises when the port is taken


def test_gunicorn_serves_with_env_overrides_and_stops(tmp_path):
    log_path = tmp_path / "floor.log"
    env = server_env({"WEB_CONCURRENCY": "1", "GUNICORN_LOGLEVEL": "info"})
    with Gunicorn(env, app="scripts.floor_app:app", health_path="/", log_path=log_path) as server:
        assert server.base == f"http://127.0.0.1:{server.port}"
        assert requests.get(f"{server.base}/", timeout=5).json() == {"status": "ok"}
        pid = server.proc.pid
    assert http_status(f"{server.base}/", timeout=0.5) is None  # stopped
    log = log_path.read_text()
    assert f"Listening at: http://127.0.0.1:{server.port} ({pid})" in log  # loglevel info came from env
    assert "Booting worker" in log and log.count("Booting worker") == 1  # WEB_CONCURRENCY=1 came from env


def test_gunicorn_that_cannot_start_raises_with_its_log():
    server = Gunicorn(app="scripts.no_such_module:app", health_path="/", timeout=20)
    with pytest.raises(RuntimeError) as failed:
        server.start()
    message = str(failed.value)
    assert "scripts.no_such_module:app" in message and "exited with status" in message
    assert "No module named 'scripts.no_such_module'" in message  # the server's own output, quoted
    assert server.proc is None and not server.log_path.exists()  # nothing left behind
