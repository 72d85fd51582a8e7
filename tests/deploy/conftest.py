"""A real gunicorn (gunicorn_config.py) on a migrated SQLite file, and nginx from deploy/nginx.conf."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from deploy.serve_proxy import nginx_command, write_config

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    """Until `url` answers 200 (fails with the log when the process dies or time runs out)."""
    deadline = time.monotonic() + seconds
    while True:
        assert proc.poll() is None, log.read_text(errors="replace")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer in {seconds} s"
        time.sleep(0.1)


def server_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a test gunicorn on its own SQLite file (no Redis, development config)."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"REDIS_URL", "CACHE_TYPE", "DATABASE_URL", "APP_ENV", "TEST_DATABASE_URL"}}
    env.update({"DATABASE_URL": f"sqlite:///{tmp / 'server.db'}", "FLASK_APP": "backend.wsgi",
                "CACHE_GENERATIONS_PATH": str(tmp / "cache-generations"), "INSIGHT_DIR": str(tmp / "insight"),
                "APP_ENV": "development", "PYTHONUNBUFFERED": "1", "RATELIMIT_ENABLED": "false", **extra})
    return env


def start_gunicorn(tmp: Path, **extra: str) -> tuple[subprocess.Popen, str, Path]:
    """Migrate, then serve; returns (process, base URL, log path)."""
    env = server_env(tmp, **extra)
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=120)
    port = free_port()
    log = tmp / "gunicorn.log"
    proc = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn_config.py", "--bind", f"127.0.0.1:{port}",
                             "backend.wsgi:app"], cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/api/v1/health", proc, log)
    return proc, base, log


def stop(proc: subprocess.Popen) -> None:
    """Kill a child that is still running."""
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """Two sync workers (the default config) on loopback."""
    proc, base, log = start_gunicorn(tmp_path_factory.mktemp("gunicorn"))
    yield base
    stop(proc)


@pytest.fixture(scope="module")
def proxy(gunicorn, tmp_path_factory):
    """nginx from deploy/nginx.conf in front of `gunicorn`; skipped (visibly) without nginx."""
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        pytest.skip("nginx is not installed (apt-get install nginx-light; .ci/run installs it)")
    prefix = tmp_path_factory.mktemp("nginx")
    port = free_port()
    config = write_config(prefix, f"127.0.0.1:{port}", gunicorn.removeprefix("http://"))
    log = prefix / "nginx.out"
    proc = subprocess.Popen(nginx_command(config), stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/api/v1/health", proc, log)
    yield base
    stop(proc)
