"""`scripts.load_links` end to end: fakes, a TESTING gunicorn, a real worker, the Locust scenario.

Runs as a subprocess (importing Locust monkey-patches the interpreter with gevent). Short steps: what
is checked is that the pieces meet (misses become analyses through the worker, repeats become
hits, the figures are reported), not how fast they are.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from scripts.server import ROOT

pytestmark = pytest.mark.slow


def test_links_scenario_analyses_through_the_worker_and_serves_repeats_from_cache(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "scripts.load_links", "--users", "4", "--step-seconds", "6",
                           "--urls", "5", "--model-delay", "0.2", "--accounts", "2", "--worker-threads", "4",
                           "--out-dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (path,) = tmp_path.glob("load-links-*.json")
    report = json.loads(path.read_text())
    (step,) = report["links"]["steps"]
    assert step["statuses"].get("200", 0) > 0 and set(step["statuses"]) <= {"200", "202"}, step
    assert step["miss_seconds"]["count"] >= 1  # at least one analysis ran through the worker
    assert step["hit_rate"] > 0.5  # five URLs repeated for six seconds: most answers are cache hits
    stats = report["links"]["cache_stats"]
    assert stats["hits"] >= step["hit_seconds"]["count"] and stats["misses"] >= 1


def test_links_scenario_refuses_to_run_without_the_fake_platform(monkeypatch):
    from backend.links import perf

    monkeypatch.delenv(perf.PLATFORM, raising=False)
    state: dict = {}
    perf.load_setup(state, lambda *a, **k: {})
    assert "links" not in state
    with pytest.raises(RuntimeError, match=perf.PLATFORM):
        perf.LOAD_ACTIONS[0].run(object(), state)
