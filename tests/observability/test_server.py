"""Real gunicorn (two sync workers): /metrics from the master's private port merges both workers, a killed
worker's live gauges are dropped, stale files of a previous run are removed at start, and each worker
exports its request and SQL spans (console exporter) after the fork."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
import requests
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from scripts.server import Gunicorn, free_port, run_flask, server_env

pytestmark = pytest.mark.slow
CHEFS = "/api/v1/coocook/chefs"


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("metrics-server")
    metrics_dir = tmp / "metrics"
    metrics_dir.mkdir()
    stale = metrics_dir / f"counter_{dead_pid()}.db"
    stale.write_bytes(b"\0" * 16)
    port = free_port()
    env = server_env({"DATABASE_URL": f"sqlite:///{tmp / 'server.db'}", "WEB_CONCURRENCY": "2",
                      "CACHE_GENERATIONS_PATH": str(tmp / "gen"), "INSIGHT_DIR": str(tmp / "insight"),
                      "APP_ENV": "development", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
                      "METRICS_BIND": f"127.0.0.1:{port}", "ENABLE_OPENTELEMETRY": "true",
                      "OTEL_TRACES_EXPORTER": "console", "OTEL_BSP_SCHEDULE_DELAY": "200"},
                     drop=("REDIS_URL", "CACHE_TYPE", "DATABASE_URL", "APP_ENV", "TEST_DATABASE_URL",
                           "PROMETHEUS_MULTIPROC_DIR"))
    run_flask("db", "upgrade", env=env, timeout=120)
    gunicorn = Gunicorn(env, log_path=tmp / "gunicorn.log", timeout=60)
    gunicorn.start()
    try:
        yield {"base": gunicorn.base, "metrics": f"http://127.0.0.1:{port}/metrics", "dir": metrics_dir,
               "stale": stale, "gunicorn": gunicorn}
    finally:
        gunicorn.stop(grace=10)


def scrape(url: str) -> dict[str, list]:
    text = requests.get(url, timeout=10).text
    return {f.name: [(s.name, s.labels, s.value) for s in f.samples] for f in text_string_to_metric_families(text)}


def total(families: dict, name: str, **labels) -> float:
    return sum(v for n, lab, v in families.get(name, []) if n.endswith("_total") and
               all(lab.get(k) == w for k, w in labels.items()))


def workers(server) -> list[int]:
    return sorted(c.pid for c in psutil.Process(server["gunicorn"].proc.pid).children())


def wait_for(fn, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        result = fn()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def per_worker_requests(directory: Path, pid: int) -> float:
    path = directory / f"counter_{pid}.db"
    if not path.exists():
        return 0.0
    return sum(value for key, value, _ts, _pos in MmapedDict.read_all_values_from_file(str(path))
               if json.loads(key)[0] == "sf_http_requests" and CHEFS in key)


def test_scrape_merges_both_workers_and_drops_a_killed_one(server):
    assert not server["stale"].exists()  # a previous run's file, removed at start
    pids, sent = workers(server), 0
    assert len(pids) == 2
    for _batch in range(10):  # until both workers have answered some (who accepts is the kernel's choice)
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: requests.get(server["base"] + CHEFS, timeout=10).status_code, range(40)))
        assert codes == [200] * 40
        sent += 40
        assert wait_for(lambda n=sent: total(scrape(server["metrics"]), "sf_http_requests", route=CHEFS) == n), \
            scrape(server["metrics"]).get("sf_http_requests")
        shares = [per_worker_requests(server["dir"], pid) for pid in pids]
        if all(share > 0 for share in shares):
            break
    assert all(share > 0 for share in shares) and sum(shares) == sent  # both workers' counts, merged
    families = scrape(server["metrics"])
    pool_pids = {lab["pid"] for _n, lab, _v in families["sf_db_pool_connections"]}
    assert {str(p) for p in pids} <= pool_pids
    assert total(families, "sf_cache_requests", layer="l1", result="hit") >= 1

    victim = pids[0]
    os.kill(victim, signal.SIGKILL)
    assert wait_for(lambda: str(victim) not in {lab["pid"] for _n, lab, _v in
                                                scrape(server["metrics"])["sf_db_pool_connections"]})
    assert not list(server["dir"].glob(f"gauge_live*_{victim}.db"))
    after = scrape(server["metrics"])
    assert total(after, "sf_http_requests", route=CHEFS) == sent  # its counters stay: totals never go back


def spans(text: str) -> list[dict]:
    """The console exporter's span objects in the server's output."""
    decoder, out, at = json.JSONDecoder(), [], 0
    while (at := text.find('{\n    "name"', at)) >= 0:
        span, end = decoder.raw_decode(text, at)
        out.append(span)
        at = end
    return out


def test_each_worker_exports_request_and_sql_spans(server):
    requests.get(server["base"] + CHEFS + "?per_page=3", timeout=10)
    log = server["gunicorn"].log_text
    assert wait_for(lambda: any(s["name"] == f"GET {CHEFS}" for s in spans(log())))
    found = spans(log())
    request = next(s for s in found if s["name"] == f"GET {CHEFS}")
    assert request["kind"] == "SpanKind.SERVER" and request["attributes"]["http.route"] == CHEFS
    children = [s for s in found if s["parent_id"] == request["context"]["span_id"]]
    assert any(s["name"].startswith("SELECT") for s in children)  # the request's SQL statements
    assert all(s["context"]["trace_id"] == request["context"]["trace_id"] for s in children)
