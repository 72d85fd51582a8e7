"""The performance toolkit end to end: real Gunicorn over seeded SQLite, the real scripts as subprocesses.

One module-scoped server (SCALE=small in a temp dir) serves the profiler and both load-test modes;
the report is built from their JSON. The load test runs only in subprocesses: importing Locust
monkey-patches the interpreter with gevent, which must not happen inside pytest.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import perf_common, report_findings
from scripts.profiler_endpoints import all_endpoints
from scripts.server import ROOT, SeededServer, http_status

pytestmark = pytest.mark.slow


def run_script(module: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `python -m scripts.<module>` from the repository root with this interpreter; output as text."""
    return subprocess.run([sys.executable, "-m", f"scripts.{module}", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def only_json(directory: Path, kind: str) -> tuple[Path, dict]:
    """The single <kind>-*.json in `directory`, parsed."""
    (path,) = directory.glob(f"{kind}-*.json")
    return path, json.loads(path.read_text())


@pytest.fixture(scope="module")
def server():
    """Gunicorn with gunicorn_config.py on a free loopback port over a fresh SCALE=small database,
    and its uncached twin (CACHE_TYPE=NullCache) over the same database."""
    managed = SeededServer("small", log=lambda message: None, uncached_twin=True)
    managed.start()
    yield managed
    managed.stop()


@pytest.fixture(scope="module")
def profile(server, tmp_path_factory):
    """One profiler run with few samples: (process, JSON path, JSON)."""
    out = tmp_path_factory.mktemp("profile")
    proc = run_script("profiler", "--base", server.base, "--uncached-base", server.uncached_base,
                      "--samples", "5", "--warmup", "1",
                      "--max-cursor-pages", "2", "--fail-on-n1", "--out-dir", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return (proc, *only_json(out, "profile"))


@pytest.fixture(scope="module")
def closed_load(server, tmp_path_factory):
    """A two-step closed-model sweep of about a second and a half each."""
    out = tmp_path_factory.mktemp("closed")
    proc = run_script("load_test", "--base", server.base, "--users", "3,6", "--step-seconds", "1.5",
                      "--settle", "0.3", "--accounts", "2", "--out-dir", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return (proc, *only_json(out, "load"))


@pytest.fixture(scope="module")
def open_load(server, tmp_path_factory):
    """Two seconds at a constant 40 requests/s."""
    out = tmp_path_factory.mktemp("open")
    proc = run_script("load_test", "--base", server.base, "--rate", "40", "--step-seconds", "2", "--accounts", "2",
                      "--out-dir", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return (proc, *only_json(out, "load"))


def assert_ordered(stats: dict) -> None:
    assert stats["min"] <= stats["p50"] <= stats["p90"] <= stats["p95"] <= stats["p99"] <= stats["max"]
    assert stats["min"] <= stats["mean"] <= stats["max"]
    assert stats["p50"] == stats["median"]
    assert stats["stdev"] >= 0


# --- profiler ---------------------------------------------------------------------------------------------


def test_profiler_samples_every_declared_endpoint(profile):
    proc, _, data = profile
    names = [e["name"] for e in data["endpoints"]]
    assert names == [e.name for e in all_endpoints()]
    for entry in data["endpoints"]:
        assert entry["samples"] == 5, entry["name"]
        assert entry["success_rate"] == 1.0, (entry["name"], entry["status_counts"])
        assert_ordered(entry["latency_ms"])
        assert len(entry["latency_samples_ms"]) == 5
    assert "p95" in proc.stdout and "wrote " in proc.stdout


def test_profiler_covers_every_public_get(profile):
    coverage = profile[2]["coverage"]
    assert "/coocook/chefs" in coverage["public_gets"]
    assert coverage["uncovered"] == []


def test_profiler_reads_statements_and_db_time_from_server_timing(profile):
    entries = {e["name"]: e for e in profile[2]["endpoints"]}
    assert entries["health"]["statements"]["max"] == 0  # /health touches no database
    assert entries["chefs_uncached"]["cache"] == entries["chef_detail"]["cache"] == {"off": 5}  # the NullCache twin
    assert entries["chefs_uncached"]["statements_uncached"] >= 1
    assert entries["chefs_uncached"]["db_ms"]["max"] > 0
    assert entries["chefs"]["cache"].get("hit", 0) >= 4  # warmed: served from the response cache
    assert entries["create_booking"]["statements_uncached"] >= 2


def test_profiler_finds_no_n_plus_one_in_the_real_app(profile):
    data = profile[2]
    probes = {e["name"]: e["n_plus_one"] for e in data["endpoints"] if e["is_list"]}
    assert set(probes) >= {"chefs", "chefs_filtered", "products", "my_bookings"}
    for name, probe in probes.items():
        assert probe["verdict"] == "constant", (name, probe)
        assert probe["per_page_100"]["items"] > probe["per_page_1"]["items"] == 1
    assert not data["summary"]["n_plus_one"]
    assert not [f for f in data["flags"] if f["type"] in ("n_plus_one", "uncompressed", "errors")]


def test_profiler_measures_raw_and_compressed_bytes(profile):
    chefs = next(e for e in profile[2]["endpoints"] if e["name"] == "chefs")
    assert chefs["bytes"]["encoding"] in ("br", "gzip")
    assert chefs["bytes"]["compressed"] < chefs["bytes"]["raw"]
    health = next(e for e in profile[2]["endpoints"] if e["name"] == "health")
    assert health["bytes"]["encoding"] is None  # below the 500-byte threshold
    reference = profile[2]["health_reference_ms"]
    assert reference <= health["latency_ms"]["median"]
    assert health["ratio_to_health"] == pytest.approx(health["latency_ms"]["median"] / reference, abs=1e-3)


def test_profiler_start_mode_runs_and_stops_its_own_server(tmp_path):
    proc = run_script("profiler", "--start", "--scale", "small", "--only", "health,chefs", "--samples", "3",
                      "--warmup", "0", "--max-cursor-pages", "1", "--out-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _, data = only_json(tmp_path, "profile")
    assert data["started_server"] is True and data["scale"] == "small"
    assert [e["name"] for e in data["endpoints"]] == ["health", "chefs"]
    assert http_status(f"{data['base']}/api/v1/health", timeout=0.5) is None  # stopped


@pytest.mark.parametrize("script", ["profiler", "load_test"])
def test_scripts_refuse_non_loopback_targets(script, tmp_path):
    proc = run_script(script, "--base", "http://10.1.2.3:8000", "--out-dir", str(tmp_path), timeout=20)
    assert proc.returncode == 2
    assert "refusing non-loopback target" in proc.stderr
    assert not list(tmp_path.iterdir())


# --- load test --------------------------------------------------------------------------------------------


def test_load_sweep_reports_each_concurrency_step(closed_load):
    proc, _, data = closed_load
    assert data["mode"] == "closed" and data["scenario"] == "realistic"
    assert [s["users"] for s in data["steps"]] == [3, 6]
    for step in data["steps"]:
        assert step["requests"] > 10 and step["throughput_rps"] > 0
        assert step["failures"] == 0, step["failures_by_cause"]
        assert step["successes"] == step["requests"]
        assert_ordered(step["latency_ms"])
        assert sum(step["histogram"]["counts"]) == step["requests"]
    names = set().union(*(s["by_name"] for s in data["steps"]))
    assert "GET chefs: detail" in names and any(n.startswith("GET chefs:") for n in names)
    assert "users     3" in proc.stdout


def test_load_open_model_keeps_the_arrival_rate(open_load):
    _, _, data = open_load
    (step,) = data["steps"]
    assert data["mode"] == "open" and step["rate"] == 40
    assert step["scheduled"] == 80 and step["sent"] == 80 and step["unsent"] == 0
    assert step["failures"] == 0, step["failures_by_cause"]
    assert 30 <= step["achieved_rate"] <= 50
    assert_ordered(step["latency_ms"])
    # Latency counts from the scheduled send time, so it can never be below the service time.
    assert step["latency_ms"]["p50"] >= step["service_ms"]["p50"] - 0.5


# --- report -----------------------------------------------------------------------------------------------


def test_report_renders_tables_and_charts(profile, closed_load, open_load, tmp_path):
    out = tmp_path / "PERFORMANCE_REPORT.md"
    proc = run_script("report", "--profile", str(profile[1]), "--load", str(closed_load[1]), str(open_load[1]),
                      "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = out.read_text()
    for heading in ("## Summary", "## Bottlenecks", "## Endpoints", "## Load (closed model", "## Load (open model",
                    "## Charts", "## Reproduce"):
        assert heading in text
    charts = sorted((tmp_path / "charts").glob("*.png"))
    assert {c.name for c in charts} == {"latency.png", "latency_hist.png", "throughput_closed.png",
                                        "throughput_open_1.png"}
    for chart in charts:
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 5000
        assert f"](charts/{chart.name})" in text


def test_report_baseline_gates_on_statement_count(profile, tmp_path):
    _, path, data = profile
    baseline = copy.deepcopy(data)
    entry = next(e for e in baseline["endpoints"] if e["name"] == "chefs_uncached")
    entry["statements_uncached"] -= 1  # the baseline did one statement less
    baseline_path = tmp_path / "baseline.json"
    baseline_path.write_text(json.dumps(baseline))
    args = ["--profile", str(path), "--no-load", "--out", str(tmp_path / "r.md")]
    worse = run_script("report", *args, "--baseline", str(baseline_path))
    assert worse.returncode == 1, worse.stdout + worse.stderr
    assert "REGRESSION chefs_uncached: statements" in worse.stdout
    assert "REGRESSION" in (tmp_path / "r.md").read_text()
    same = run_script("report", *args, "--baseline", str(path))
    assert same.returncode == 0, same.stdout + same.stderr


def test_report_without_any_input_says_so(tmp_path):
    proc = run_script("report", "--profile", str(tmp_path / "missing.json"), "--no-load",
                      "--out", str(tmp_path / "r.md"))
    assert proc.returncode == 2 and "report:" in proc.stderr


def test_findings_turn_an_n_plus_one_into_a_high_severity_recommendation(profile):
    data = copy.deepcopy(profile[2])
    entry = next(e for e in data["endpoints"] if e["name"] == "chefs")
    entry["n_plus_one"]["per_page_100"]["statements"] = 103
    entry["flags"] = [{"type": "n_plus_one", "detail": "3 vs 103"}]
    (found,) = [f for f in report_findings.profile_findings(data) if f["area"] == "N+1 queries"]
    assert found["severity"] == "high" and found["where"] == "chefs"
    assert "1.0 extra statement(s) per row" in found["recommendation"]


# --- shared helpers ---------------------------------------------------------------------------------------


def test_percentiles_interpolate():
    stats = perf_common.summarise([float(v) for v in range(1, 101)])
    assert stats["p50"] == 50.5 and stats["p99"] == pytest.approx(99.01) and stats["max"] == 100


def test_server_timing_parsing():
    parsed = perf_common.parse_server_timing('db;dur=1.23;desc="3 queries", app;dur=4.50, cache;desc="hit"')
    assert parsed == {"statements": 3, "db_ms": 1.23, "app_ms": 4.5, "cache": "hit"}
    assert perf_common.parse_server_timing(None)["statements"] is None


@pytest.mark.parametrize("base", ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000",
                                  "http://127.8.9.10"])
def test_loopback_targets_are_accepted(base):
    perf_common.check_target(base)


def test_other_targets_need_allow_host():
    with pytest.raises(perf_common.TargetRefused):
        perf_common.check_target("http://192.168.1.20:8000")
    perf_common.check_target("http://192.168.1.20:8000", ["192.168.1.20"])


def test_slot_picker_never_repeats_a_slot():
    picker = perf_common.SlotPicker([1, 2, 3], seed=7)
    slots = [tuple(picker.next().values()) for _ in range(picker.size)]
    assert len(set(slots)) == picker.size == 3 * 365 * 2
