"""Per-request figures counted in plain dicts, written to the Prometheus files once a second.

Measured on the loaded 2-core box (docs/performance.md, "Metrics and traces cost"): one
prometheus_client multiprocess write (a lock, a pid check, a struct pack into the mmap) costs
3.5-6 us, and a request needs six of them (in flight up and down, the count, the histogram's bucket
and sum, the cache result): ~40 us added to a ~28 us L1 hit. Counting in dicts under one lock
costs ~2 us, and a daemon thread per process (METRICS_FLUSH_SECONDS, default 1 s; it sleeps when
nothing changed) adds the sums to the families, one write per label set per second instead of
one per request. The price: the files are up to a second behind, and a worker killed with SIGKILL
loses its last second (a clean exit flushes first, atexit).

In flight is a gauge sampled at each flush (the number of requests this process is answering
right then), which is what a scrape would have seen anyway, give or take that second.
"""

from __future__ import annotations

import atexit
import bisect
import logging
import os
import threading
import weakref
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
_tallies: weakref.WeakSet[Tally] = weakref.WeakSet()
_flusher: dict[str, Any] = {"pid": 0, "lock": threading.Lock(), "hooks": False}


class Tally:
    """One app's unflushed request figures in this process, and how to write them."""

    def __init__(self, families: Any, interval: float, refresh: Callable[[], None] | None = None):
        """`families` is backend.observability.families; `refresh` runs at each flush (pool figures)."""
        self.f = families
        self.interval = interval
        self.refresh = refresh
        self.bounds = (*families.HTTP_BUCKETS, float("inf"))
        self.lock = threading.Lock()
        self.active = 0  # requests being answered now (the in-flight gauge, sampled at each flush)
        self._reset()
        self._children: dict[tuple, Any] = {}
        self._reported_active = None

    def _reset(self) -> None:
        self.requests: dict[tuple[str, str, str], int] = {}
        self.durations: dict[tuple[str, str], list] = {}  # [per-bucket counts..., sum]
        self.db: dict[str, list] = {}  # [statements, seconds]
        self.cache: dict[tuple[str, str], int] = {}
        self.not_modified: dict[str, int] = {}
        self.dirty = False

    def add(self, method: str, route: str, status_class: str, seconds: float, statements: int, db_seconds: float,
            cache: tuple[str, ...]) -> None:
        """Count one answered request (the hot path: dict updates under one lock)."""
        index = bisect.bisect_left(self.bounds, seconds)
        with self.lock:
            key = (method, route, status_class)
            self.requests[key] = self.requests.get(key, 0) + 1
            row = self.durations.get((method, route))
            if row is None:
                row = self.durations[(method, route)] = [0] * len(self.bounds) + [0.0]
            row[index] += 1
            row[-1] += seconds
            if statements:
                db = self.db.get(route)
                if db is None:
                    db = self.db[route] = [0, 0.0]
                db[0] += statements
                db[1] += db_seconds
            for item in cache:  # ("l1", "hit"), ("view", "miss"), ("304", layer)
                if item[0] == "304":
                    self.not_modified[item[1]] = self.not_modified.get(item[1], 0) + 1
                else:
                    self.cache[item] = self.cache.get(item, 0) + 1
            self.dirty = True

    def _child(self, family: Any, labels: tuple) -> Any:
        key = (id(family), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = family.labels(*labels) if labels else family
        return child

    def flush(self) -> None:
        """Add what was counted since the last flush to the families (mmap writes), sample in flight."""
        with self.lock:
            active = self.active
            if not self.dirty and active == self._reported_active:
                pending = None
            else:
                pending = (self.requests, self.durations, self.db, self.cache, self.not_modified)
                self._reset()
        if active != self._reported_active:
            self.f.http_in_flight.set(active)
            self._reported_active = active
        if pending is not None:
            self._write(*pending)

    def _write(self, requests: dict, durations: dict, db: dict, cache: dict, not_modified: dict) -> None:
        f, child = self.f, self._child
        for labels, n in requests.items():
            child(f.http_requests, labels).inc(n)
        for labels, row in durations.items():
            hist = child(f.http_duration, labels)
            for i, n in enumerate(row[:-1]):
                if n:
                    hist._buckets[i].inc(n)  # prometheus_client's per-bucket values (non-cumulative)
            hist._sum.inc(row[-1])
        for route, (statements, seconds) in db.items():
            child(f.db_statements, (route,)).inc(statements)
            child(f.db_seconds, (route,)).inc(seconds)
        for labels, n in cache.items():
            child(f.cache_requests, labels).inc(n)
        for layer, n in not_modified.items():
            child(f.not_modified, (layer,)).inc(n)

    def flush_all(self) -> None:
        """Flush, then refresh the pool figures (what the thread does every interval)."""
        self.flush()
        if self.refresh is not None:
            self.refresh()


def _loop(interval: float) -> None:
    stop = threading.Event()
    while not stop.wait(interval):
        flush_process()


def flush_process() -> None:
    """Flush every tally of this process now (the thread, atexit, and admin reads call it)."""
    for tally in list(_tallies):
        try:
            tally.flush_all()
        except Exception:  # a metrics failure must never stop the thread
            log.exception("metrics: flush failed")


def register(tally: Tally) -> None:
    """Flush `tally` every interval from this process's thread (started once per process, after fork)."""
    _tallies.add(tally)
    if not _flusher["hooks"]:  # once per process, at the first registration (not at import)
        _flusher["hooks"] = True
        atexit.register(flush_process)
        os.register_at_fork(after_in_child=_after_fork_in_child)
    ensure_thread(tally.interval)


def ensure_thread(interval: float) -> None:
    """Start this process's flush thread if it has none (a forked child inherits no threads)."""
    if _flusher["pid"] == os.getpid():
        return
    with _flusher["lock"]:
        if _flusher["pid"] != os.getpid():
            _flusher["pid"] = os.getpid()
            threading.Thread(target=_loop, args=(interval,), name="sf-metrics-flush", daemon=True).start()


def _after_fork_in_child() -> None:
    _flusher["lock"] = threading.Lock()
    for tally in list(_tallies):  # the parent's counts are the parent's
        tally.lock = threading.Lock()
        tally._reset()
        tally.active = 0
        tally._children = {}
        ensure_thread(tally.interval)
