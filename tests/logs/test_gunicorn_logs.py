"""Real gunicorn (gunicorn_config.py, its JsonLogger) with the access log on: every line it prints is
one JSON object, crafted headers (quotes, backslashes) and a newline in the path stay inside their
field, and the masking sentinel sent in headers, query and body never appears in the output."""

from __future__ import annotations

import socket
import sqlite3
import time

import orjson
import pytest
import requests

from scripts.server import Gunicorn, run_flask, server_env

SENTINEL = "SENTINEL-gunicorn-5b2c8d1e"
CRAFTED_UA = 'evil" "status": 200, "forged": "1\\'
pytestmark = pytest.mark.slow


def raw_get(port: int, target: str, headers: dict[str, str]) -> bytes:
    """One HTTP/1.1 request written by hand (requests would refuse or encode what this sends)."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n{head}Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("logs-server")
    env = server_env({"DATABASE_URL": f"sqlite:///{tmp / 'server.db'}", "WEB_CONCURRENCY": "2",
                      "CACHE_GENERATIONS_PATH": str(tmp / "gen"), "INSIGHT_DIR": str(tmp / "insight"),
                      "APP_ENV": "development", "GUNICORN_ACCESSLOG": "-", "LOG_STORE_SAMPLE": "1",
                      "OPENAI_API_KEY": SENTINEL},
                     drop=("REDIS_URL", "CACHE_TYPE", "TEST_DATABASE_URL"))
    run_flask("db", "upgrade", env=env, timeout=120)
    gunicorn = Gunicorn(env, log_path=tmp / "gunicorn.log", timeout=60)
    gunicorn.start()
    try:
        yield gunicorn, tmp / "server.db"
    finally:
        gunicorn.stop(grace=5, keep_log=True)


def test_access_and_app_lines_are_json_masked_and_unforgeable(server):
    gunicorn, database = server
    base = gunicorn.base
    secret_headers = {"Authorization": f"Bearer {SENTINEL}", "X-API-Key": SENTINEL, "Cookie": f"sid={SENTINEL}",
                      "X-Request-ID": "gunicorn-test-1"}
    response = requests.get(f"{base}/api/v1/coocook/chefs?token={SENTINEL}&api_key={SENTINEL}",
                            headers=secret_headers, timeout=30)
    assert response.status_code == 200 and response.headers["X-Request-ID"] == "gunicorn-test-1"
    login = requests.post(f"{base}/api/v1/auth/login?password={SENTINEL}", timeout=30,
                          json={"email": "nobody@example.com", "password": SENTINEL}, headers=secret_headers)
    assert login.status_code == 401
    answer = raw_get(gunicorn.port, "/api/v1/coocook/chefs%0A%22x", {
        "User-Agent": CRAFTED_UA, "X-Request-ID": "crafted-1", "X-API-Key": SENTINEL})
    assert answer.startswith(b"HTTP/1.1 404")
    raw_get(gunicorn.port, "/api/v1/health", {"User-Agent": f"ua {SENTINEL}", "X-Request-ID": 'bad"id'})
    deadline = time.monotonic() + 30  # generous: the box is shared
    while time.monotonic() < deadline and gunicorn.log_text().count('"logger":"gunicorn.access"') < 4:
        time.sleep(0.1)
    output = gunicorn.log_text()
    events = [orjson.loads(line) for line in output.splitlines() if line.strip()]  # every line is JSON
    access = [e for e in events if e["logger"] == "gunicorn.access"]
    crafted = next(e for e in access if e["request_id"] == "crafted-1")
    assert crafted["user_agent"] == CRAFTED_UA and crafted["path"] == '/api/v1/coocook/chefs\n"x'
    assert crafted["status"] == 404 and "forged" not in crafted
    health = next(e for e in access if e["path"] == "/api/v1/health" and e["user_agent"].startswith("ua "))
    assert health["user_agent"] == "ua [masked]" and health["request_id"] != 'bad"id'
    first = next(e for e in access if e["request_id"] == "gunicorn-test-1" and e["method"] == "GET")
    assert first["status"] == 200 and first["duration_ms"] > 0
    assert any(e["logger"] == "backend.request" and e["request_id"] == "gunicorn-test-1" for e in events)
    assert SENTINEL not in output
    # The sampled request lines reach the store within the flush interval, masked like the stream.
    deadline = time.monotonic() + 20
    rows: list = []
    wanted = {"gunicorn-test-1", "crafted-1"}
    while time.monotonic() < deadline and not wanted <= {r[0] for r in rows}:  # other lines may flush first
        with sqlite3.connect(database) as conn:
            rows = conn.execute("SELECT request_id, path, status, message, data FROM log_entries").fetchall()
        time.sleep(0.2)
    assert wanted <= {r[0] for r in rows}
    assert SENTINEL not in repr(rows)
