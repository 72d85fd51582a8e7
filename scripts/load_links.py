"""The link analyzer under load: `python -m scripts.load_links [options]` (`make load-links`).

    python -m scripts.load_links [--users 8,16] [--step-seconds 20] [--urls 50] [--model-delay 1.5]
                                 [--accounts 8] [--worker-threads 16] [--threads 1]
                                 [--lane events|inline] [--think-ms 0] [--out-dir DIR]

What runs, all on loopback and all real processes:
- a fake content platform (pages 150 ms, three media of 100 ms each per post) and a fake Gemini
  (`--model-delay` per call), in a child process (backend/links/fakes.py);
- the API under gunicorn_config.py (sync workers unless `--threads`) over a
  fresh SQLite file seeded SCALE=small, as a TESTING app:
  the only kind whose safe fetcher may reach loopback (the allowance is LINKS_TEST_ALLOW_LOOPBACK,
  ignored by any other app), with response validation off and jobs queued, not run inline;
- the job worker (`python -m backend.jobs.worker`, as `make worker` runs it) on a SQLite queue;
- the event server (gunicorn_events.py), where a miss's synchronous wait happens after the API's
  303 (backend/links/lane.py); Locust follows the redirect as browsers do;
- the load test's closed model (scripts.load_test) running the "links" scenario of
  backend/links/perf.py: POST /links/analyze over `--urls` posts with Zipf-like popularity.
Reported per step beside the load test's own figures: hit rate, hit and miss latency, 202s (an
analysis not done within LINKS_SYNC_WAIT), and the server's /links/cache/stats at the end.
`--lane inline` makes the API worker wait instead (the behaviour before the event-server lane):
with sync workers every request queued behind a miss then waits too (add `--threads 16` to see
threads hide it).
Bounded: every step stops by itself; the fakes, server and worker are stopped on the way out.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# scripts.load_test imports Locust (which monkey-patches sockets for gevent) before anything that
# imports requests/urllib3; this module uses its get_json rather than importing requests itself.
from scripts import load_test
from scripts.load_scenario import Shared
from scripts.perf_common import summarise, write_report_json
from scripts.server import ROOT, Gunicorn, SeededServer, free_port

FAKES = """
import signal, sys
from backend.links.fakes import FakeGemini, FakePlatform
platform = FakePlatform(media_per_post=3, page_delay=0.15, media_delay=0.1)
gemini = FakeGemini(delay=float(sys.argv[1]))
print(platform.base, gemini.url, flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
"""


def start_fakes(model_delay: float) -> tuple[subprocess.Popen, str, str]:
    """The fake platform and Gemini in a child process (not under gevent); returns it and both URLs."""
    child = subprocess.Popen([sys.executable, "-c", FAKES, str(model_delay)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)  # resets by departing clients are not news
    line = child.stdout.readline().split() if child.stdout else []
    if len(line) != 2:
        child.kill()
        raise RuntimeError("the fake platform and Gemini did not start")
    return child, line[0], line[1]


def server_env(tmp: Path, gemini_url: str, args: argparse.Namespace, events_port: int) -> dict[str, str]:
    """What the API, the event server and the worker share on top of SeededServer's environment."""
    return {"GUNICORN_THREADS": str(args.threads), "LINKS_WAIT_LANE": args.lane,
            "EVENTS_PUBLIC_URL": f"http://127.0.0.1:{events_port}", "APP_ENV": "testing", "VALIDATE_RESPONSES": "false",
            "JOBS_IMMEDIATE": "false",
            "JOBS_QUEUE_URL": f"sqlite:///{tmp / 'queue.db'}", "JOBS_WORKERS": str(args.worker_threads),
            "JOBS_POLL_MAX_DELAY": "0.05", "LINKS_TEST_ALLOW_LOOPBACK": "true", "GEMINI_BASE_URL": gemini_url,
            "GEMINI_API_KEY": "load-key", "LINKS_MEDIA_RATE": "1000", "LINKS_MEDIA_CONCURRENCY": "6"}


def links_figures(state: dict) -> dict:
    """The scenario's own tally since the last reset."""
    links = state["links"]
    answered = len(links["hits"]) + len(links["misses"])
    return {"hit_rate": round(len(links["hits"]) / answered, 3) if answered else None,
            "hit_seconds": summarise(links["hits"], 4), "miss_seconds": summarise(links["misses"]),
            "accepted_202": len(links["accepted"]), "statuses": dict(links["statuses"])}


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    """This script's options; the rest goes to the load test."""
    ap = argparse.ArgumentParser(prog="python -m scripts.load_links", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", default="8,16")
    ap.add_argument("--step-seconds", default="20")
    ap.add_argument("--urls", type=int, default=50)
    ap.add_argument("--model-delay", type=float, default=1.5)
    ap.add_argument("--accounts", default="8")
    ap.add_argument("--worker-threads", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1, help="API gunicorn threads per worker (1 = sync workers)")
    ap.add_argument("--lane", choices=("events", "inline"), default="events", help="where a miss waits")
    ap.add_argument("--think-ms", default="0", help="a user's pause between requests (people pause)")
    ap.add_argument("--out-dir")
    args = ap.parse_args(argv)
    rest = ["--scenario", "links", "--users", args.users, "--step-seconds", args.step_seconds,
            "--accounts", args.accounts, "--timeout", "30", "--think-ms", args.think_ms]
    return args, rest


def main(argv: list[str] | None = None) -> int:
    """Start fakes, server and worker, run the scenario step by step, print and write the figures."""
    args, rest = parse_args(argv)
    os.environ["LOAD_LINKS_URLS"] = str(args.urls)
    fakes, platform, gemini_url = start_fakes(args.model_delay)
    os.environ["LOAD_LINKS_PLATFORM"] = platform
    tmp = Path(tempfile.mkdtemp(prefix="sf-load-links-"))
    events_port = free_port()
    server = SeededServer("small", extra_env=server_env(tmp, gemini_url, args, events_port), log=print)
    events = Gunicorn(app="backend.events.wsgi:app", config="gunicorn_events.py", port=events_port,
                      health_path="/api/v1/events/health", log_path=tmp / "events.log")
    worker = None
    try:
        base = server.start()
        events.env = server.env()
        events.start()
        worker = subprocess.Popen([sys.executable, "-m", "backend.jobs.worker"], cwd=ROOT, env=server.env(),
                                  stdout=subprocess.DEVNULL, stderr=open(tmp / "worker.log", "w"))  # noqa: SIM115
        load_args = load_test.parse_args(rest)
        steps: list[dict] = []

        def log(message: str) -> None:
            print(message, flush=True)
            if message.startswith("users"):  # a step just ended: keep the scenario's own tally with it
                steps.append(links_figures(Shared.state))
                print("  links: " + json.dumps(steps[-1]), flush=True)
                for key in ("hits", "misses", "accepted"):
                    Shared.state["links"][key] = []
                Shared.state["links"]["statuses"] = {}

        print(f"links load: {platform} (fake platform), {gemini_url} (fake Gemini, {args.model_delay}s), {base}")
        report = load_test.run(base, load_args, log)
        token = Shared.tokens[0]
        report["links"] = {"steps": steps, "urls": args.urls, "model_delay_s": args.model_delay,
                           "cache_stats": load_test.get_json(base, "/links/cache/stats", token)}
        print("cache stats: " + json.dumps(report["links"]["cache_stats"]))
        print(f"wrote {write_report_json('load-links', report, args.out_dir)}")
        return 0
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        events.stop()
        server.stop()
        fakes.terminate()
        fakes.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
