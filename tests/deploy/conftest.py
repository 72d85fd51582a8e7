"""A real gunicorn (scripts.server.Gunicorn) on a migrated SQLite file, and nginx from deploy/nginx.conf."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from deploy.serve_proxy import nginx_command, write_config
from scripts.server import Gunicorn, free_port, run_flask, server_env


def migrated_server(tmp: Path, **extra: str) -> Gunicorn:
    """A Gunicorn (not started) with the default config over a freshly migrated SQLite file."""
    env = server_env({"DATABASE_URL": f"sqlite:///{tmp / 'server.db'}",
                      "CACHE_GENERATIONS_PATH": str(tmp / "cache-generations"), "INSIGHT_DIR": str(tmp / "insight"),
                      "APP_ENV": "development", **extra},
                     drop=("REDIS_URL", "CACHE_TYPE", "DATABASE_URL", "APP_ENV", "TEST_DATABASE_URL"))
    run_flask("db", "upgrade", env=env, timeout=120)
    return Gunicorn(env=env, log_path=tmp / "gunicorn.log")


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """Two sync workers (the default config) on loopback; yields the base URL."""
    with migrated_server(tmp_path_factory.mktemp("gunicorn")) as server:
        yield server.base


@pytest.fixture(scope="module")
def proxy(gunicorn, tmp_path_factory):
    """nginx from deploy/nginx.conf in front of `gunicorn`; skipped (visibly) without nginx."""
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        pytest.skip("nginx is not installed (apt-get install nginx-light; .ci/run installs it)")
    prefix = tmp_path_factory.mktemp("nginx")
    port = free_port()
    config = write_config(prefix, f"127.0.0.1:{port}", gunicorn.removeprefix("http://"))
    proc = subprocess.Popen(nginx_command(config), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, (prefix / "error.log").read_text(errors="replace")
            try:
                if requests.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "nginx did not answer in 20 s"
            time.sleep(0.1)
        yield base
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
