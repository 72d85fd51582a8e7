"""Link analyzer, measured against loopback fakes: `python -m scripts.bench_links [options]`.

    python -m scripts.bench_links [--urls 50] [--requests 300] [--clients 8] [--single 20]
                                  [--concurrent 100] [--workers 50] [--model-delay 1.5] [--json PATH]

Starts a fake content platform (pages 150 ms, media 100 ms each, three media per post, one in
three posts also showing a shared brand image) and a fake Gemini (1.5 s per call), an app on a
fresh SQLite file (APP_ENV=testing, the only mode in which loopback fakes may be fetched) served
by werkzeug's threaded server on loopback, and an in-process Huey consumer with `--workers`
threads (the real consumer, as `make worker` runs it). Then it measures:
1. media extraction: six media downloaded in parallel vs one at a time (median of 5);
2. single analyses: `--single` distinct URLs one after another through POST /links/analyze;
3. a URL mix with repeats: `--requests` POSTs over `--urls` URLs (Zipf-like popularity) from
   `--clients` threads: cache hit rate, hit latency, miss latency;
4. `--concurrent` distinct analyses submitted at once through POST /links/analyze/async, followed
   on their status URLs until all finished;
5. model calls made vs one call per medium of every analysis (the fake Gemini's count and the
   admin cost report's baseline).
Not gunicorn: the figures are the app's and its worker's, without a production server in front.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from scripts.perf_common import summarise

API = "/api/v1"


def _app(tmp: Path, gemini_url: str, workers: int):
    from flask_migrate import upgrade

    from backend import create_app

    app = create_app({
        "APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
        "CACHE_GENERATIONS_PATH": str(tmp / "generations"), "JOBS_IMMEDIATE": False,
        "JOBS_QUEUE_URL": f"sqlite:///{tmp / 'queue.db'}", "JOBS_WORKERS": workers, "JOBS_POLL_MAX_DELAY": 0.05,
        "VALIDATE_RESPONSES": False, "LINKS_TEST_ALLOW_LOOPBACK": True, "GEMINI_BASE_URL": gemini_url,
        "LINKS_WAIT_LANE": "inline",  # werkzeug's threaded server: a waiting request holds only its thread
        "GEMINI_API_KEY": "bench-key", "GEMINI_PRICE_INPUT_PER_1K": 0.0001, "GEMINI_PRICE_OUTPUT_PER_1K": 0.0004,
        "LINKS_MEDIA_RATE": 1000, "LINKS_MEDIA_CONCURRENCY": 6})
    with app.app_context():
        upgrade()
    return app


def _tokens(app) -> tuple[dict, dict]:
    from backend.auth import services
    from backend.extensions import db

    with app.app_context():
        headers = []
        for role in ("user", "admin"):
            user = services.create_user(f"bench-{role}@example.com", "password-123", f"Bench {role}", role)
            headers.append({"Authorization": f"Bearer {services.issue_token(user['id'])['token']}"})
        db.session.remove()
    return headers[0], headers[1]


def _consumer(app, workers: int):
    from huey.consumer import Consumer

    from backend.jobs.extension import Jobs

    consumer = Consumer(Jobs.state(app).huey, workers=workers, worker_type="thread", periodic=False,
                        initial_delay=0.01, backoff=1.5, max_delay=0.05)
    consumer.start()
    return consumer


def media_speed(app, platform) -> dict:
    """Six media of one post: parallel vs sequential (median seconds of 5 rounds each)."""
    from backend.links.media import download_all

    urls = [f"{platform.base}/media/speed-{i}.png" for i in range(6)]
    timings: dict[str, list[float]] = {"parallel": [], "sequential": []}
    with app.app_context():
        for _ in range(5):
            for mode, cap in (("parallel", 6), ("sequential", 1)):
                app.config["LINKS_MEDIA_CONCURRENCY"] = cap
                started = time.monotonic()
                assert len(download_all(urls, "generic")) == 6
                timings[mode].append(time.monotonic() - started)
        app.config["LINKS_MEDIA_CONCURRENCY"] = 6
    parallel, sequential = statistics.median(timings["parallel"]), statistics.median(timings["sequential"])
    return {"media": 6, "parallel_s": round(parallel, 3), "sequential_s": round(sequential, 3),
            "speedup": round(sequential / parallel, 2)}


def single(base: str, auth: dict, platform, n: int) -> dict:
    """n distinct cold analyses, one after another, through the synchronous endpoint."""
    session, seconds, statuses = requests.Session(), [], []
    for i in range(n):
        started = time.monotonic()
        response = session.post(f"{base}{API}/links/analyze", json={"url": platform.url(f"single-{i}")},
                                headers=auth, timeout=30)
        seconds.append(time.monotonic() - started)
        statuses.append(response.status_code)
    return {"statuses": {s: statuses.count(s) for s in set(statuses)}, "seconds": summarise(seconds)}


def url_mix(base: str, auth: dict, platform, urls: int, total: int, clients: int) -> dict:
    """`total` requests over `urls` URLs with Zipf-like popularity, from `clients` threads."""
    rng = random.Random(11)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(urls)]
    picks = rng.choices(range(urls), weights=weights, k=total)
    results: list[tuple[bool, float, int]] = []
    lock = threading.Lock()
    local = threading.local()

    def one(post: int) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        started = time.monotonic()
        response = session.post(f"{base}{API}/links/analyze", json={"url": platform.url(f"mix-{post}")},
                                headers=auth, timeout=30)
        elapsed = time.monotonic() - started
        cached = response.status_code == 200 and response.json().get("cached") is True
        with lock:
            results.append((cached, elapsed, response.status_code))

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, picks))
    hits = [s for cached, s, _ in results if cached]
    misses = [s for cached, s, _ in results if not cached]
    statuses = [code for *_, code in results]
    return {"requests": total, "distinct_urls": len(set(picks)), "hits": len(hits), "hit_rate": round(
        len(hits) / total, 3), "hit_seconds": summarise(hits, 4), "miss_seconds": summarise(misses),
        "statuses": {s: statuses.count(s) for s in set(statuses)}}


def concurrent(base: str, auth: dict, platform, n: int) -> dict:
    """n distinct analyses submitted at once (async), then followed until every job is final."""
    started = time.monotonic()

    def submit(i: int) -> dict:
        response = requests.post(f"{base}{API}/links/analyze/async", json={"url": platform.url(f"burst-{i}")},
                                 headers=auth, timeout=30)
        assert response.status_code == 202, response.text
        return response.json()

    with ThreadPoolExecutor(n) as pool:
        jobs = list(pool.map(submit, range(n)))
    submitted = time.monotonic() - started
    pending = {job["job_id"]: job["status_url"] for job in jobs}
    finished: dict[str, tuple[str, float]] = {}
    session = requests.Session()
    while pending and time.monotonic() - started < 120:
        for job_id, url in list(pending.items()):
            status = session.get(f"{base}{url}", headers=auth, timeout=10).json()["status"]
            if status in ("succeeded", "failed", "cancelled"):
                finished[job_id] = (status, time.monotonic() - started)
                del pending[job_id]
        time.sleep(0.1)
    outcomes = [s for s, _ in finished.values()]
    return {"jobs": n, "submitted_in_s": round(submitted, 3), "all_done_in_s": round(max(
        t for _, t in finished.values()), 3) if finished else None, "unfinished": len(pending),
        "outcomes": {s: outcomes.count(s) for s in set(outcomes)}}


def status_latency(base: str, auth: dict, job_url: str, n: int = 200) -> dict:
    """GET of one job's status, n times (the status route must stay cheap)."""
    session, seconds = requests.Session(), []
    for _ in range(n):
        started = time.monotonic()
        assert session.get(f"{base}{job_url}", headers=auth, timeout=10).status_code == 200
        seconds.append(time.monotonic() - started)
    return summarise(seconds, 4)


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print the figures (JSON)."""
    ap = argparse.ArgumentParser(prog="python -m scripts.bench_links", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--urls", type=int, default=50)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--single", type=int, default=20)
    ap.add_argument("--concurrent", type=int, default=100)
    ap.add_argument("--workers", type=int, default=50)
    ap.add_argument("--model-delay", type=float, default=1.5)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    os.environ.setdefault("RATELIMIT_ENABLED", "false")
    from werkzeug.serving import make_server

    from backend.links.fakes import FakeGemini, FakePlatform

    results: dict = {"args": vars(args)}
    with tempfile.TemporaryDirectory() as tmp, FakePlatform(media_per_post=3, page_delay=0.15,
                                                           media_delay=0.1) as platform, \
            FakeGemini(delay=args.model_delay) as gemini:
        app = _app(Path(tmp), gemini.url, args.workers)
        user, admin = _tokens(app)
        for prefix, count in (("mix", args.urls), ("burst", args.concurrent), ("single", args.single)):
            for i in range(0, count, 3):  # one post in three also shows the brand's logo
                platform.posts[f"{prefix}-{i}"] = [f"{prefix}-{i}-0", f"{prefix}-{i}-1", "brand-logo"]
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        consumer = _consumer(app, args.workers)
        try:
            print("== media extraction", flush=True)
            results["media_extraction"] = media_speed(app, platform)
            print("== single analyses", flush=True)
            results["single"] = single(base, user, platform, args.single)
            print("== URL mix with repeats", flush=True)
            results["url_mix"] = url_mix(base, user, platform, args.urls, args.requests, args.clients)
            print("== concurrent analyses (async)", flush=True)
            results["concurrent"] = concurrent(base, user, platform, args.concurrent)
            job = requests.post(f"{base}{API}/links/analyze/async", json={"url": platform.url("status-probe")},
                                headers=user, timeout=30).json()
            results["status_seconds"] = status_latency(base, user, job["status_url"])
            costs = requests.get(f"{base}{API}/admin/links/costs", headers=admin, timeout=30).json()
            stats = requests.get(f"{base}{API}/links/cache/stats", headers=user, timeout=30).json()
            results["model_calls"] = {"made": gemini.calls, "media_sent": gemini.media_sent,
                                      "one_per_medium_baseline": costs["baseline_calls"],
                                      "saved": costs["saved"], "reduction": costs["reduction"]}
            results["cache_stats"] = stats
        finally:
            consumer.stop()
            server.shutdown()
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
