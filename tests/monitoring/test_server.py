"""Real Gunicorn (two sync workers): request figures are shared through MONITORING_DIR, and an operator signs in
over HTTP and reads them from the dashboard; another process (as the job worker) sees both workers' counts."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from scripts.server import Gunicorn, run_flask, server_env

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("monitoring-server")
    env = server_env({"DATABASE_URL": f"sqlite:///{tmp / 'server.db'}", "WEB_CONCURRENCY": "2",
                      "CACHE_GENERATIONS_PATH": str(tmp / "gen"), "INSIGHT_DIR": str(tmp / "insight"),
                      "INSIGHT_FLUSH_SECONDS": "0.2", "MONITORING_DIR": str(tmp / "monitoring"),
                      "MONITORING_FLUSH_SECONDS": "0.2", "APP_ENV": "development"},
                     drop=("REDIS_URL", "CACHE_TYPE", "DATABASE_URL", "APP_ENV", "TEST_DATABASE_URL"))
    run_flask("db", "upgrade", env=env, timeout=120)
    run_flask("seed", "--scale", "small", env=env, timeout=120)
    gunicorn = Gunicorn(env, log_path=tmp / "gunicorn.log", timeout=30)
    gunicorn.start()
    try:
        yield {"base": gunicorn.base, "tmp": tmp, "env": env}
    finally:
        gunicorn.stop(grace=5)


def eventually(check, seconds: float = 15.0) -> bool:
    """True as soon as `check()` is, False after `seconds`."""
    ends = time.monotonic() + seconds
    while not check():
        if time.monotonic() > ends:
            return False
        time.sleep(0.1)
    return True


def test_figures_are_shared_across_workers_and_shown_on_the_dashboard(server):
    base, tmp = server["base"], server["tmp"]
    urls = [f"{base}/api/v1/coocook/chefs?page={n % 7 + 1}&per_page={n % 5 + 1}" for n in range(60)]
    from backend.monitoring.recorder import REQ, Recorder

    def flask_seen() -> int:  # what another process (the evaluator) reads from the workers' files
        return Recorder(str(tmp / "monitoring"), 1.0).merged().get("coocook.list_chefs", [0] * (REQ + 1))[REQ]

    def files() -> int:
        return len(list((tmp / "monitoring").glob("*.json")))

    sent = 0
    with ThreadPoolExecutor(8) as pool:
        # Until both workers have answered (and flushed): on a loaded box the second may still be booting.
        while sent < 600 and (sent == 0 or not eventually(lambda: files() == 2, 2.0)):
            assert all(r.status_code == 200 for r in pool.map(lambda u: requests.get(u, timeout=10), urls))
            sent += len(urls)
    assert files() == 2  # one file per worker
    # Each of the 35 distinct URLs reached Flask at least once; repeats may be L1 hits. Files are
    # rewritten every 0.2 s by each worker's flusher: poll.
    assert eventually(lambda: 35 <= flask_seen() <= sent), (flask_seen(), sent)

    session = requests.Session()
    form = session.get(f"{base}/admin/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    signed = session.post(f"{base}/admin/login", timeout=10, allow_redirects=False,
                          data={"csrf_token": token, "email": "admin@softfactory.dev", "password": "admin-password"})
    assert signed.status_code == 303

    def chef_row() -> list:
        figures = session.get(f"{base}/admin/dashboard.json", timeout=10).json()
        rows = {row[0]: row for s in figures["sections"] if s["id"] == "endpoints" for row in s["rows"]}
        return rows.get("coocook.list_chefs") or [None, 0]

    assert eventually(lambda: chef_row()[1] >= sent), (chef_row(), sent)  # L1 hits included (the insight counts them)
    endpoints = {"coocook.list_chefs": chef_row()}
    assert float(endpoints["coocook.list_chefs"][4]) > 0  # a p95 from both workers' histograms
    html = session.get(f"{base}/admin/", timeout=10).text
    assert "coocook.list_chefs" in html and "Dependency health" in html
    assert requests.get(f"{base}/admin/", timeout=10, allow_redirects=False).status_code == 302
