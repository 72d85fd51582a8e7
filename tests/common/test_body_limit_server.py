"""The body limit through real Gunicorn: a chunked body over MAX_CONTENT_LENGTH is a 413, not cut and accepted.

Gunicorn dechunks the body and sets `wsgi.input_terminated`; Werkzeug then stops reading at the
limit without an error, which is what used to let a padded JSON body through cut.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
import requests

from tests.test_server import BIN, ROOT, free_port

pytestmark = pytest.mark.slow
LIMIT = 8192
PASSWORD = "Kq8#vT2m!pZ7wX4r"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A migrated SQLite file served by Gunicorn with a small MAX_CONTENT_LENGTH."""
    tmp = tmp_path_factory.mktemp("bodylimit")
    env = {k: v for k, v in os.environ.items()
           if k not in {"REDIS_URL", "CACHE_TYPE", "DATABASE_URL", "APP_ENV", "TEST_DATABASE_URL"}}
    env.update({"DATABASE_URL": f"sqlite:///{tmp / 'server.db'}", "FLASK_APP": "backend.wsgi",
                "WEB_CONCURRENCY": "1", "CACHE_GENERATIONS_PATH": str(tmp / "cache-generations"),
                "INSIGHT_DIR": str(tmp / "insight"), "APP_ENV": "development", "MAX_CONTENT_LENGTH": str(LIMIT),
                "PYTHONUNBUFFERED": "1"})
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=120)
    port = free_port()
    log = open(tmp / "gunicorn.log", "w+b")  # noqa: SIM115  (closed below, after the process ends)
    proc = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn_config.py", "--bind", f"127.0.0.1:{port}",
                             "backend.wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, (tmp / "gunicorn.log").read_text()
        try:
            if requests.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, "gunicorn did not answer /health within 30 s"
        time.sleep(0.1)
    try:
        yield base
    finally:
        proc.kill()
        proc.wait()
        log.close()


def registration(email: str, size: int) -> bytes:
    """A valid registration padded with whitespace to `size` bytes (valid JSON wherever it is cut)."""
    body = json.dumps({"email": email, "password": PASSWORD, "name": "Chunky"}).encode()
    return body + b" " * (size - len(body))


def chunks(data: bytes, size: int = 1000):
    """A generator body: requests sends it with Transfer-Encoding: chunked and no Content-Length."""
    for i in range(0, len(data), size):
        yield data[i:i + size]


def test_chunked_body_over_the_limit_is_413_json(server):
    response = requests.post(f"{server}/auth/register", data=chunks(registration("big@example.com", LIMIT + 3000)),
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in response.request.headers
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    login = requests.post(f"{server}/auth/login", json={"email": "big@example.com", "password": PASSWORD}, timeout=10)
    assert login.status_code == 401  # nothing was created from a cut body


def test_chunked_body_within_the_limit_is_accepted_whole(server):
    response = requests.post(f"{server}/auth/register", data=chunks(registration("fits@example.com", LIMIT)),
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 201, response.text


def test_content_length_body_over_the_limit_is_413_json(server):
    response = requests.post(f"{server}/auth/register", data=registration("cl@example.com", LIMIT + 3000),
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.request.headers["Content-Length"] == str(LIMIT + 3000)
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
