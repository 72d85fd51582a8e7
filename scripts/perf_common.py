"""Shared helpers for the performance toolkit (profiler, load test, report); servers are in scripts.server.

- `check_target`: the tools only talk to loopback unless a host is explicitly allowed.
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
import socket
import statistics
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


def postgres_schema(url: str, schema: str, create: bool) -> None:
    """Drop `schema` on the PostgreSQL at `url` (and create it again when `create`): a benchmark's own."""
    import sqlalchemy as sa

    from backend.config import normalise_database_url

    engine = sa.create_engine(normalise_database_url(url))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        if create:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()
