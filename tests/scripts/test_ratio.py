"""scripts.ratio end to end: the project's own floor against a server, wrk rounds, JSON summary last."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from scripts.ratio import post_script
from scripts.server import ROOT, Gunicorn

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed (apt-get install -y wrk)")]


def test_ratio_measures_get_and_post_against_the_floor(tmp_path):
    body = tmp_path / "body.json"
    body.write_text('{"name": "a ]] b", "note": "caf\\u00e9"}')
    # The server under test is the floor app itself: a GET ratio near 1, and POST / is a 405 (errors).
    with Gunicorn(app="scripts.floor_app:app", health_path="/") as target:
        proc = subprocess.run([sys.executable, "-m", "scripts.ratio", "--base", target.base, "-c", "4", "-d", "1",
                               "--rounds", "1", "/", f"POST:/:{body}"], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("floor (bare Flask, same gunicorn config):")
    summary = json.loads(lines[-1])
    assert summary["floor_rps"] > 0 and summary["connections"] == 4 and summary["rounds"] == 1
    get, post = summary["endpoints"]["/"], summary["endpoints"][f"POST:/:{body}"]
    assert get["rps"] > 0 and get["errors"] == 0 and 0.2 < get["ratio"] < 5
    assert post["rps"] > 0 and post["errors"] > 0  # every POST answered 405: wrk sent POSTs


def test_post_script_keeps_any_body_verbatim(tmp_path):
    body = 'x]]y]=]z'
    script = post_script(body, tmp_path)
    text = (tmp_path / script).read_text()
    assert 'wrk.method = "POST"' in text and f"[==[{body}]==]" in text


def test_ratio_without_paths_is_a_usage_error():
    proc = subprocess.run([sys.executable, "-m", "scripts.ratio"], cwd=ROOT, capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 2 and "PATH" in proc.stderr
