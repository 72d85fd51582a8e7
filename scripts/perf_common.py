"""Shared helpers for the performance toolkit (profiler.py, load_test.py, report.py).

- `check_target`: the tools only talk to loopback unless a host is explicitly allowed.
- `ManagedServer`: seeds SCALE data into a temp SQLite database and runs Gunicorn on a free
  loopback port (the `--start` mode of the profiler and the load test), then stops it.
- `summarise` / `percentile`: the one definition of the statistics every report uses.
- `SlotPicker`: unique (chef, date, slot) triples, so booking calls measure 201s, not 409s.
- `parse_server_timing`: statements, DB ms, app ms and cache state from `Server-Timing`.

Deliberately free of gevent/Locust imports: the test suite imports it in-process.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
REPORTS_DIR = ROOT / "reports"
API = "/api/v1"
DEFAULT_BASE = "http://127.0.0.1:8000"
LOAD_PASSWORD = "load-password"
FIRST_LOAD_USER = 4  # user<N>@load.test accounts start after the three demo accounts

_TIMING_DB = re.compile(r'db;dur=([\d.]+);desc="(\d+) queries"')
_TIMING_APP = re.compile(r"app;dur=([\d.]+)")
_TIMING_CACHE = re.compile(r'cache;desc="(\w+)"')


class TargetRefused(SystemExit):
    """Raised (exit status 2) when a target host is not loopback and not explicitly allowed."""

    def __init__(self, message: str):
        super().__init__(2)
        self.message = message


def _is_loopback_address(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def check_target(base: str, allow_hosts: list[str] | None = None) -> None:
    """Refuse `base` unless its host resolves only to loopback or is named in `allow_hosts`."""
    parts = urlsplit(base)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise TargetRefused(f"--base must be an http(s) URL with a host, got {base!r}")
    if host in (allow_hosts or []):
        return
    if _is_loopback_address(host):
        return
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is None:  # a name: every address it resolves to must be loopback
        try:
            infos = socket.getaddrinfo(host, parts.port or 80, proto=socket.IPPROTO_TCP)
        except socket.gaierror:
            infos = []
        if infos and all(_is_loopback_address(info[4][0]) for info in infos):
            return
    raise TargetRefused(f"refusing non-loopback target {host!r}: pass --allow-host {host} to load it on purpose")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback only)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None


class ManagedServer:
    """Gunicorn on a free loopback port over a fresh SQLite database seeded with `scale` data.

    REDIS_URL is dropped from the server's environment so a run never shares (or pollutes) a
    cache with another server; everything else (WEB_CONCURRENCY, GUNICORN_*, CACHE_TYPE) passes through.
    With `uncached_twin`, a second Gunicorn serves the same database with CACHE_TYPE=NullCache (the
    documented switch for measuring uncached speed) at `uncached_base`.
    """

    def __init__(self, scale: str = "small", extra_env: dict[str, str] | None = None, log=print,
                 uncached_twin: bool = False):
        self.scale = scale
        self.extra_env = extra_env or {}
        self.log = log
        self.tmp: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.base = ""
        self.uncached_twin = uncached_twin
        self.twin: subprocess.Popen | None = None
        self.uncached_base: str | None = None

    def _env(self) -> dict[str, str]:
        assert self.tmp is not None
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        env.setdefault("RATELIMIT_ENABLED", "false")  # the toolkit measures speed from one address: uncapped
        env.update({"FLASK_APP": "backend.wsgi", "DATABASE_URL": f"sqlite:///{self.tmp / 'perf.db'}",
                    "CACHE_GENERATIONS_PATH": str(self.tmp / "cache-generations"), "PYTHONUNBUFFERED": "1"})
        env.update(self.extra_env)
        return env

    def _flask(self, *args: str) -> None:
        result = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=self._env(),
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self, timeout: float = 60.0) -> str:
        """Migrate, seed, start Gunicorn and wait for /health/ready; returns the base URL."""
        self.tmp = Path(tempfile.mkdtemp(prefix="sf-perf-"))
        started = time.perf_counter()
        self._flask("db", "upgrade")
        self._flask("seed", "--scale", self.scale)
        self.log(f"seeded SCALE={self.scale} in {time.perf_counter() - started:.1f}s ({self.tmp / 'perf.db'})")
        self._logfile = open(self.tmp / "gunicorn.log", "wb")  # noqa: SIM115 (closed in stop())
        self.proc, self.base = self._serve({}, timeout)
        if self.uncached_twin:
            self.twin, self.uncached_base = self._serve({"CACHE_TYPE": "NullCache"}, timeout)
        return self.base

    def _serve(self, env: dict[str, str], timeout: float) -> tuple[subprocess.Popen, str]:
        """One Gunicorn on a free port with `env` on top; waits for /health/ready."""
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn_config.py", "--bind", f"127.0.0.1:{port}",
             "backend.wsgi:app"],
            cwd=ROOT, env={**self._env(), **env}, stdout=self._logfile, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            if http_status(f"{base}{API}/health/ready") == 200:
                self.log(f"gunicorn pid {proc.pid} serving {base}" + (f" with {env}" if env else ""))
                return proc, base
            time.sleep(0.2)
        self._logfile.flush()
        log_text = (self.tmp / "gunicorn.log").read_text(errors="replace")[-4000:]
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        self.stop()
        raise RuntimeError(f"gunicorn did not become ready on {base}:\n{log_text}")

    def stop(self) -> None:
        """SIGTERM the Gunicorn master (graceful), SIGKILL its group if it lingers; delete the temp dir."""
        for proc in (self.proc, self.twin):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=25)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)
        self.proc = self.twin = None
        if getattr(self, "_logfile", None):
            self._logfile.close()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def percentile(sorted_values: list[float], pct: float) -> float:
    """Linear-interpolated percentile (pct in 0..100) of an already sorted, non-empty list."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    rank = (len(sorted_values) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def summarise(values: list[float], digits: int = 3) -> dict | None:
    """min, max, mean, median, stdev, p50/p90/p95/p99 of `values` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    stats = {"count": len(ordered), "min": ordered[0], "max": ordered[-1], "mean": statistics.fmean(ordered),
             "median": statistics.median(ordered), "stdev": statistics.stdev(ordered) if len(ordered) > 1 else 0.0}
    for pct in (50, 90, 95, 99):
        stats[f"p{pct}"] = percentile(ordered, pct)
    return {k: (round(v, digits) if isinstance(v, float) else v) for k, v in stats.items()}


def log_histogram(values_ms: list[float], per_decade: int = 10) -> dict:
    """Counts in log-spaced buckets (0.1 ms .. 100 s), compact enough to keep in JSON for charts."""
    edges = [round(0.1 * 10 ** (i / per_decade), 4) for i in range(6 * per_decade + 1)]
    counts = [0] * (len(edges) + 1)
    for value in values_ms:
        index = 0 if value <= edges[0] else min(len(edges), 1 + int(math.log10(value / 0.1) * per_decade))
        counts[index] += 1
    return {"edges_ms": edges, "counts": counts}


def parse_server_timing(header: str | None) -> dict:
    """{"statements", "db_ms", "app_ms", "cache"} from a Server-Timing header (None where absent)."""
    header = header or ""
    db, app, cache = _TIMING_DB.search(header), _TIMING_APP.search(header), _TIMING_CACHE.search(header)
    return {"statements": int(db.group(2)) if db else None, "db_ms": float(db.group(1)) if db else None,
            "app_ms": float(app.group(1)) if app else None, "cache": cache.group(1) if cache else None}


def filter_queries(chefs: list[dict]) -> list[str]:
    """Distinct one- or two-filter combinations built from values present in the data (so they match rows)."""
    cuisines = sorted({c["cuisine_type"] for c in chefs}) or ["italian"]
    locations = sorted({c["location"] for c in chefs}) or ["Seoul"]
    sorts = ["-rating", "price", "newest", "rating", "-price"]
    shapes = [lambda i: {"cuisine": cuisines[i % len(cuisines)]},
              lambda i: {"location": locations[i % len(locations)].lower()},
              lambda i: {"cuisine": cuisines[i % len(cuisines)], "min_rating": 3.0},
              lambda i: {"max_price": 100 + 10 * (i % 20)},
              lambda i: {"min_rating": 2.0 + (i % 10) / 5}]
    queries = [urlencode({**shapes[i % len(shapes)](i // len(shapes)), "sort": sorts[(i // 3) % len(sorts)]})
               for i in range(60)]
    return list(dict.fromkeys(queries))


class SlotPicker:
    """Unique (chef_id, date, slot) triples far in the future: an affine walk over the whole space.

    Dates run from today+365 to today+729 (UTC, inside the 730-day horizon), away from seeded
    bookings. A random multiplier/offset per run makes collisions with earlier runs unlikely;
    within a run every triple is distinct until the space is exhausted.
    """

    DAYS_FROM, DAYS = 365, 365

    def __init__(self, chef_ids: list[int], seed: int | None = None):
        if not chef_ids:
            raise ValueError("no active chefs to book")
        self.chef_ids = list(chef_ids)
        self.size = len(self.chef_ids) * self.DAYS * 2
        rng = random.Random(seed)
        self.mul = rng.randrange(1, self.size)
        while math.gcd(self.mul, self.size) != 1:
            self.mul += 1
        self.offset = rng.randrange(self.size)
        self.today = dt.datetime.now(dt.UTC).date()
        self.index = 0

    def next(self) -> dict:
        """The next booking body (guests 2)."""
        code = (self.mul * self.index + self.offset) % self.size
        self.index += 1
        chef_index, rest = divmod(code, self.DAYS * 2)
        day, slot = divmod(rest, 2)
        date = self.today + dt.timedelta(days=self.DAYS_FROM + day)
        return {"chef_id": self.chef_ids[chef_index], "date": date.isoformat(),
                "slot": "lunch" if slot == 0 else "dinner", "guests": 2}


def host_info() -> dict:
    """Where the numbers came from."""
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}


def utc_stamp() -> str:
    """A sortable UTC timestamp for file names, to the millisecond: e.g. 20260101T120000.123Z."""
    now = dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%dT%H%M%S}.{now.microsecond // 1000:03d}Z"


def write_report_json(kind: str, data: dict, out_dir: Path | str | None = None) -> Path:
    """Write `<out_dir>/<kind>-<timestamp>.json` (default reports/) and return its path."""
    directory = Path(out_dir) if out_dir else REPORTS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{kind}-{utc_stamp()}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    return path


def newest(kind: str, directory: Path | str | None = None) -> Path | None:
    """The newest `<kind>-*.json` in `directory` (default reports/), or None."""
    files = sorted(Path(directory or REPORTS_DIR).glob(f"{kind}-*.json"))
    return files[-1] if files else None
