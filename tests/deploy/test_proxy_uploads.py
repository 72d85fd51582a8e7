"""Upload bodies through nginx (deploy/nginx.conf) and gunicorn: the assets location takes 10 MiB files.

Other routes keep nginx's 1m, and the app's own per-route limit stands behind nginx's.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from deploy.serve_proxy import nginx_command, write_config
from scripts.server import free_port
from tests.common import images_factory as make
from tests.deploy.conftest import migrated_server

pytestmark = pytest.mark.slow
MB = 1024 * 1024
PASSWORD = "Kq8#vT2m!pZ7wX4r"


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """Overrides the package fixture: assets stored under the test's own directory."""
    tmp = tmp_path_factory.mktemp("uploads")
    with migrated_server(tmp, ASSETS_DIR=str(tmp / "assets"), ASSETS_LOCK_DIR=str(tmp / "locks")) as server:
        yield server.base


@pytest.fixture(scope="module")
def proxy(gunicorn):
    """Overrides the package fixture: nginx's prefix must be traversable by its workers (nobody),
    which spill bodies over client_body_buffer_size to client_body/ (pytest's tmp dirs are 0700)."""
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        pytest.skip("nginx is not installed (apt-get install nginx-light; .ci/run installs it)")
    prefix = Path(tempfile.mkdtemp(prefix="sf-nginx-uploads-"))
    prefix.chmod(0o755)
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
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(prefix, ignore_errors=True)


def padded_png(size: int) -> bytes:
    png = make.encode(make.two_halves(), "PNG")
    return png + b"\x00" * (size - len(png))


def test_uploads_pass_nginx_up_to_the_routes_limit(proxy):
    api = f"{proxy}/api/v1"
    requests.post(f"{api}/auth/register", json={"email": "up@example.com", "password": PASSWORD, "name": "Up"},
                  timeout=10)
    token = requests.post(f"{api}/auth/login", json={"email": "up@example.com", "password": PASSWORD},
                          timeout=10).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    accepted = requests.post(f"{api}/assets", headers=headers, timeout=30,
                             files={"file": ("big.png", padded_png(9 * MB), "image/png")})
    assert accepted.status_code == 201, accepted.text[:300]
    assert requests.get(f"{proxy}{accepted.json()['url']}", timeout=10).headers["Cache-Control"].endswith("immutable")
    too_big = requests.post(f"{api}/assets", headers=headers, timeout=30,
                            files={"file": ("huge.png", padded_png(10 * MB + 1), "image/png")})
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "file_too_large"  # the app's check
    refused = requests.post(f"{api}/assets", headers=headers, timeout=30,
                            files={"file": ("huge.png", padded_png(12 * MB), "image/png")})
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "payload_too_large"  # nginx's
    elsewhere = requests.post(f"{api}/auth/login", data=b"x" * (2 * MB), timeout=10,
                              headers={"Content-Type": "application/json"})
    assert elsewhere.status_code == 413
