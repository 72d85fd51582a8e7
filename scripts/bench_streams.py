"""Streams and jobs, measured: `make bench-streams` (needs wrk).

    python -m scripts.bench_streams [--streams 200] [--scale small] [-d 5] [--rounds 3] [--json PATH]

On a fresh seeded SQLite database it starts the API (gunicorn_config.py, plus its uncached twin),
the event server (gunicorn_events.py) and a job worker, then measures:
1. stream isolation: the chef list and detail (cached and uncached servers) as ratios of the
   bare-Flask floor (scripts.ratio), in paired rounds: without streams, then with `--streams` open
   streams (each on its own job, heartbeating); the figure is the median per-round change (the
   issue asks for within 10%);
2. the event server's own CPU over 10 s with the streams open and idle, and the event delivery
   delay: with the streams still open, events written to a watched job one at a
   time (as a worker writes them) and the time until a streaming client has read each one;
3. Meari: POST /meari/sessions latency (202) and the time until its job's `completed` event,
   for sessions made one after another through the worker (skipped if the domain is absent).
Prints a summary and, with --json, writes every figure.
"""

from __future__ import annotations

import argparse
import json
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from scripts.ratio import measure
from scripts.server import ROOT, Gunicorn, SeededServer

API = "/api/v1"
LIST, DETAIL = f"{API}/coocook/chefs", f"{API}/coocook/chefs/3"


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0-1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class OpenStreams:
    """N raw SSE connections read (and discarded) by one selector thread, as idle clients would be."""

    def __init__(self, urls: list[str]):
        """Connect and send each request; the reader thread drains them until `close()`."""
        self.selector = selectors.DefaultSelector()
        self.sockets: list[socket.socket] = []
        self.bytes = 0
        for url in urls:
            parts = urlsplit(url)
            sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
            sock.sendall(f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                         f"Accept: text/event-stream\r\n\r\n".encode())
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ)
            self.sockets.append(sock)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while not self._stop.is_set():
            for key, _ in self.selector.select(0.5):
                try:
                    data = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                if not data:
                    self.selector.unregister(key.fileobj)
                self.bytes += len(data)

    @property
    def open(self) -> int:
        """Connections the server has not closed."""
        return len(self.selector.get_map())

    def close(self) -> None:
        """Stop reading and close every connection."""
        self._stop.set()
        self.thread.join(5)
        for sock in self.sockets:
            sock.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (a gunicorn master and its workers)."""
    import os

    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    ticks = 0
    for one in [pid, *map(int, children)]:
        fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def make_jobs(env: dict[str, str], count: int) -> list[tuple[str, str]]:
    """`count` queued jobs of the first seeded user, with their stream URLs (made in a child process)."""
    code = ("import datetime as dt,json,sys\nfrom backend import create_app\nfrom backend.extensions import db\n"
            "from backend.auth.models import User\nfrom backend.jobs import services\n"
            "app=create_app({'JOBS_IMMEDIATE': True})\nwith app.app_context():\n"
            "    uid=db.session.query(User.id).order_by(User.id).first()[0]\n"
            "    from backend.jobs import store\n"
            "    out=[]\n"
            f"    for _ in range({count}):\n"
            "        row=store.create('jobs.demo', {}, uid, 'normal', 1)\n"
            # due tomorrow: the worker's reaper must not run them while they are being watched
            "        store.append_event(row['id'], 'created', None, run_after=store.utcnow() + dt.timedelta(days=1))\n"
            "        out.append((row['id'], services.public(db.session.get(services.Job, row['id']))['stream_url']))\n"
            "print(json.dumps(out))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            check=True)
    return [tuple(x) for x in json.loads(result.stdout.strip().splitlines()[-1])]


def delivery_delays(env: dict[str, str], job_id: str, url: str, events: int) -> list[float]:
    """Seconds from each event's commit (in a writer process) to a streaming client reading it."""
    import requests

    seen: dict[int, float] = {}
    ready = threading.Event()

    def client() -> None:
        with requests.get(url, headers={"Accept": "application/x-ndjson"}, stream=True, timeout=60) as response:
            ready.set()
            for line in response.iter_lines():
                if line and b'"seq"' in line:
                    seen[json.loads(line)["seq"]] = time.time()
                if len(seen) >= events:
                    return

    reader = threading.Thread(target=client, daemon=True)
    reader.start()
    ready.wait(10)
    time.sleep(0.5)
    code = ("import json,sys,time\nfrom backend import create_app\nfrom backend.jobs import store\n"
            "app=create_app({'JOBS_IMMEDIATE': True})\nwith app.app_context():\n"
            f"    store.append_event('{job_id}', 'starting', None, status='running', attempts=1, run_after=None)\n"
            "    out={}\n"
            f"    for n in range({events}):\n"
            f"        seq=store.append_event('{job_id}', 'progress', {{'n': n}}, fence=1)\n"
            "        out[seq]=time.time()\n        time.sleep(0.3)\n"
            "print(json.dumps(out))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            check=True)
    written = {int(k): v for k, v in json.loads(result.stdout.strip().splitlines()[-1]).items()}
    reader.join(15)
    return [seen[seq] - at for seq, at in written.items() if seq in seen]


def meari(base: str, sessions: int) -> dict | None:
    """POST latency and time to `completed` for Meari sessions, one after another (None without Meari)."""
    def call(method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict, float]:
        request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                         headers={"Content-Type": "application/json",
                                                  **({"Authorization": f"Bearer {token}"} if token else {})})
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}"), time.perf_counter() - started
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}"), time.perf_counter() - started

    email = f"bench-{time.time_ns()}@example.com"
    status, body, _ = call("POST", f"{API}/auth/register", {"email": email, "password": "a-long-bench-passphrase",
                                                            "name": "Bench"})
    status, body, _ = call("POST", f"{API}/auth/login", {"email": email, "password": "a-long-bench-passphrase"})
    token = body.get("token")
    posts, completions = [], []
    for n in range(sessions):
        status, body, seconds = call("POST", f"{API}/meari/sessions",
                                     {"concern": f"I keep putting off my thesis draft ({n})", "language": "en"}, token)
        if status == 404:
            return None
        if status != 202:
            raise RuntimeError(f"POST /meari/sessions answered {status}: {body}")
        posts.append(seconds)
        started = time.perf_counter() - seconds
        while True:
            _, state, _ = call("GET", f"{API}/meari/sessions/{body['session_id']}/status", token=token)
            if state.get("status") in ("ready", "failed"):
                completions.append(time.perf_counter() - started)
                break
            if time.perf_counter() - started > 60:
                raise RuntimeError("a Meari session did not finish within 60 s")
            time.sleep(0.02)
    return {"sessions": sessions, "post_ms_p50": statistics.median(posts) * 1000, "post_ms_p99": pct(posts, .99) * 1000,
            "complete_s_p50": statistics.median(completions), "complete_s_max": max(completions)}


def main(argv: list[str] | None = None) -> int:
    """Run the three measurements and print them."""
    ap = argparse.ArgumentParser(prog="python -m scripts.bench_streams", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--streams", type=int, default=200)
    ap.add_argument("--scale", default="small")
    ap.add_argument("-d", "--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--events", type=int, default=30)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    results: dict = {"streams": args.streams}
    queue = Path(tempfile.mkdtemp(prefix="sf-queue-")) / "queue.db"  # the API and the worker share it
    extra = {"EVENTS_STREAM_SECONDS": "900", "EVENTS_THREADS": str(max(256, args.streams + 56)),
             "JOBS_QUEUE_URL": f"sqlite:///{queue}", "EVENTS_PUBLIC_URL": ""}
    return run(args, results, extra)


def run(args, results: dict, extra: dict[str, str]) -> int:
    """Everything inside one seeded server set."""
    seeded = SeededServer(args.scale, extra_env=extra, uncached_twin=True)
    base = seeded.start()
    tmp = seeded.tmp
    env = seeded.env()
    events = Gunicorn(env, app="backend.events.wsgi:app", config="gunicorn_events.py",
                      health_path="/api/v1/events/health", log_path=tmp / "events.log")
    worker = None
    try:
        events_base = events.start()
        worker = subprocess.Popen([sys.executable, "-m", "backend.jobs.worker"], cwd=ROOT, env=env,
                                  stdout=open(tmp / "worker.log", "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115
        paths = [LIST, DETAIL]
        jobs = make_jobs(env, args.streams + 1)
        servers = {"cached": base, "uncached": seeded.uncached_base}
        runs: dict = {name: {"without": [], "with": []} for name in servers}
        # Paired rounds: each round measures without and with the streams back to back (order
        # alternating), so the machine's drift hits both sides alike; the figure is the median of
        # the per-round changes.
        for round_ in range(args.rounds):
            for name, server in servers.items():
                # odd rounds measure "with" first, so a drift within a round does not favour one side
                for side in (("without", "with") if round_ % 2 == 0 else ("with", "without")):
                    streams = OpenStreams([events_base + url for _, url in jobs[1:]]) if side == "with" else None
                    if streams is not None:
                        time.sleep(1)
                        results["open_streams"] = min(results.get("open_streams", args.streams), streams.open)
                    print(f"== round {round_ + 1}, {name}, {streams.open if streams else 0} open streams", flush=True)
                    runs[name][side].append(measure(server, paths, duration=args.duration, rounds=1, env=env))
                    if streams is not None:
                        streams.close()
        results["ratios"] = {}
        for name, sides in runs.items():
            for path in paths:
                without = [r["endpoints"][path]["ratio"] for r in sides["without"]]
                with_ = [r["endpoints"][path]["ratio"] for r in sides["with"]]
                changes = [w / o - 1 for o, w in zip(without, with_, strict=True)]
                results["ratios"][f"{name} {path}"] = {
                    "without": statistics.median(without), "with": statistics.median(with_),
                    "change_median": round(statistics.median(changes), 3), "changes": [round(c, 3) for c in changes]}
        streams = OpenStreams([events_base + url for _, url in jobs[1:]])
        time.sleep(2)
        before = cpu_seconds(events.proc.pid)
        time.sleep(10)  # nothing happens but heartbeats and the hub's polls
        results["events_idle_cpu_percent"] = round((cpu_seconds(events.proc.pid) - before) / 10 * 100, 2)
        delays = delivery_delays(env, jobs[0][0], events_base + jobs[0][1], args.events)
        streams.close()
        results["delivery_s"] = {"events": len(delays), "p50": statistics.median(delays), "p99": pct(delays, .99),
                                 "max": max(delays)} if delays else None
        results["meari"] = meari(base, args.sessions)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(10)
        events.stop()
        seeded.stop()
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
