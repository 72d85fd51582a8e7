"""Per-endpoint status classes, latency histograms and view-cache results, shared by a host's workers.

The in-app insight (backend/observability/insight.py) counts requests and DB time per endpoint but
not how long a request took or how it ended; alert rules on error rate and p95 latency need both.
This recorder is one after_request hook: a dict lookup, a bisect into fixed histogram buckets and a
few integer increments under a lock (no I/O). Like the insight, each process rewrites its own
cumulative snapshot `<MONITORING_DIR>/<pid>.json` from a background thread at most every
MONITORING_FLUSH_SECONDS, and a reader (the evaluator in the worker process, the dashboard) sums
every file: counters only grow, so rates over a window are differences of two readings.

Requests answered by the L1 (before Flask) are not seen here; the insight counts them, so the
dashboard's L1 hits are insight requests minus the requests seen here. When Prometheus metrics land
(issue 9 section 1) they can feed the same metric names through `backend.monitoring.registry`.
"""

from __future__ import annotations

import bisect
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request

from backend.observability.store import pid_alive, read_json, write_json

log = logging.getLogger(__name__)

BUCKETS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)  # + one open bucket above
STALE_SECONDS = 86400.0  # files of dead processes are kept (counters stay monotonic) this long
# Row layout per endpoint: requests, 2xx, 3xx, 4xx, 5xx, 304s, view-cache hits, view-cache misses, buckets...
REQ, S2, S3, S4, S5, NOT_MODIFIED, HIT, MISS = range(8)
HIST = 8
ROW = HIST + len(BUCKETS_MS) + 1


class Recorder:
    """One app's request figures in this process."""

    def __init__(self, directory: str | None, flush_seconds: float):
        """`directory` None: in-process only (tests, one-process runs)."""
        self.directory = Path(directory) if directory else None
        self.flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self.rows: dict[str, list[int]] = {}
        self.dirty = False
        self._pid = 0

    def record(self, endpoint: str, status: int, ms: float, cache_state: str | None) -> None:
        """Count one finished request (the hot path)."""
        with self._lock:
            row = self.rows.get(endpoint)
            if row is None:
                row = self.rows[endpoint] = [0] * ROW
            row[REQ] += 1
            row[min(S5, max(S2, S2 + status // 100 - 2))] += 1
            if status == 304:
                row[NOT_MODIFIED] += 1
            if cache_state == "hit":
                row[HIT] += 1
            elif cache_state == "miss":
                row[MISS] += 1
            row[HIST + bisect.bisect_left(BUCKETS_MS, ms)] += 1
            self.dirty = True
        if self.directory is not None and self._pid != os.getpid():
            self._start_flusher()

    def snapshot(self) -> dict[str, list[int]]:
        """This process's cumulative rows."""
        with self._lock:
            return {name: list(row) for name, row in self.rows.items()}

    def merged(self) -> dict[str, list[int]]:
        """Every process's rows on this host summed with ours (live)."""
        total = self.snapshot()
        if self.directory is None:
            return total
        for path in self._files():
            data = read_json(path)
            if not data or data.get("pid") == os.getpid():
                continue
            for name, row in (data.get("rows") or {}).items():
                if isinstance(row, list) and len(row) == ROW:
                    mine = total.setdefault(name, [0] * ROW)
                    for i, value in enumerate(row):
                        mine[i] += int(value)
        return total

    def _files(self) -> list[Path]:
        try:
            paths = [p for p in self.directory.glob("*.json") if p.stem.isdigit()]
        except OSError:
            return []
        now = time.time()
        kept = []
        for path in paths:
            try:
                old = now - path.stat().st_mtime > STALE_SECONDS
            except OSError:
                continue
            if old and not pid_alive(int(path.stem)):
                path.unlink(missing_ok=True)  # a day-old dead worker: its counts leave every window anyway
            else:
                kept.append(path)
        return kept

    def flush(self) -> None:
        """Rewrite this process's file when something changed (atomic replace)."""
        if self.directory is None or not self.dirty:
            return
        self.dirty = False
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_json(self.directory / f"{os.getpid()}.json", {"pid": os.getpid(), "rows": self.snapshot()})
        except OSError as exc:
            self.dirty = True
            log.warning("monitoring: could not write request figures to %s: %s", self.directory, exc)

    def _start_flusher(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            if self._pid:  # a forked child: the parent's counts are the parent's
                self.rows = {}
            self._pid = os.getpid()
        threading.Thread(target=self._loop, name="sf-monitoring-flush", daemon=True).start()

    def _loop(self) -> None:
        pid = os.getpid()
        while os.getpid() == pid:
            time.sleep(self.flush_seconds)
            self.flush()


KEY = "monitoring.recorder"


def init_recorder(app: Flask) -> Recorder:
    """Attach a recorder and its after_request hook to `app`."""
    recorder = app.extensions[KEY] = Recorder(app.config.get("MONITORING_DIR"),
                                              float(app.config.get("MONITORING_FLUSH_SECONDS", 2.0)))

    @app.after_request
    def _record(response: Response) -> Response:
        started = g.get("request_started")
        if started is not None and request.endpoint:
            recorder.record(request.endpoint, response.status_code, (time.perf_counter() - started) * 1000,
                            g.get("cache_state"))
        return response

    return recorder


def get_recorder(app: Flask | None = None) -> Recorder:
    """The recorder of `app` (default: the current app)."""
    return (app or current_app).extensions[KEY]


def quantile(buckets: list[int], q: float) -> float | None:
    """The q-quantile (0..1) of a bucket histogram, interpolated inside its bucket (as Prometheus does)."""
    total = sum(buckets)
    if total <= 0:
        return None
    rank = q * total
    seen = 0
    for i, count in enumerate(buckets):
        if count and seen + count >= rank:
            low = BUCKETS_MS[i - 1] if i > 0 else 0.0
            high = BUCKETS_MS[i] if i < len(BUCKETS_MS) else BUCKETS_MS[-1] * 2  # open bucket: a bound of 2x
            return round(low + (high - low) * (rank - seen) / count, 2)
        seen += count
    return float(BUCKETS_MS[-1])


def row_fields(row: list[int]) -> dict[str, Any]:
    """A row as named figures (for the dashboard and the metric sources)."""
    return {"requests": row[REQ], "status_2xx": row[S2], "status_3xx": row[S3], "status_4xx": row[S4],
            "status_5xx": row[S5], "not_modified": row[NOT_MODIFIED], "cache_hits": row[HIT],
            "cache_misses": row[MISS], "buckets": row[HIST:]}
