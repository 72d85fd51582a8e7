"""Per-request figures counted in plain dicts, written to the Prometheus files once a second.

Measured on the loaded 2-core box (docs/performance.md, "Metrics and traces cost"): one
prometheus_client multiprocess write (a lock, a pid check, a struct pack into the mmap) costs
3-8 us there, and a request needs six of them (in flight up and down, the count, the histogram's
bucket and sum, the cache result): ~40 us added to a ~28 us L1 hit. Here a request adds one row
of plain counters (one dict look-up, keyed by method, endpoint, status code and cache state; the
endpoint becomes its URL rule and the status its class only at flush time), and a daemon thread
per process (METRICS_FLUSH_SECONDS, default 1 s; it sleeps when
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

    def __init__(self, families: Any, interval: float, refresh: Callable[[], None] | None = None,
                 route: Callable[[str | None], str] = lambda endpoint: endpoint or "<unmatched>",
                 l1_installed: bool = False):
        """Count for `families` (backend.observability.families), flushed every `interval` seconds.

        `refresh` runs at each flush (pool figures); `route` turns an endpoint name into its URL
        rule (at flush time, not per request).
        """
        self.f = families
        self.interval = interval
        self.refresh = refresh
        self.route = route
        self.l1_installed = l1_installed
        self.bounds = (*families.HTTP_BUCKETS, float("inf"))
        self.lock = threading.Lock()
        self.active = 0  # requests being answered now (the in-flight gauge, sampled at each flush)
        self.rows: dict[tuple, list] = {}
        self.dirty = False
        self._children: dict[tuple, Any] = {}
        self._reported_active = None

    def add(self, key: tuple, seconds: float, statements: int, db_seconds: float) -> None:
        """Count one answered request under `key` = (method, endpoint, status code, cache state).

        The hot path: one bisect, one dict look-up and a few list increments under an uncontended lock.
        A row is [requests, seconds, statements, db seconds, per-bucket counts...].
        """
        index = 4 + bisect.bisect_left(self.bounds, seconds)
        with self.lock:
            row = self.rows.get(key)
            if row is None:
                row = self.rows[key] = [0, 0.0, 0, 0.0] + [0] * len(self.bounds)
            row[0] += 1
            row[1] += seconds
            row[2] += statements
            row[3] += db_seconds
            row[index] += 1
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
            rows, self.rows, dirty, self.dirty = self.rows, {}, self.dirty, False
        if active != self._reported_active:
            self.f.http_in_flight.set(active)
            self._reported_active = active
        if dirty:
            self._write(rows)

    def _write(self, rows: dict[tuple, list]) -> None:
        """Sum the rows per label set, then one write per label set."""
        self._emit(*self._sum(rows))

    def _sum(self, rows: dict[tuple, list]) -> tuple[dict, dict, dict, dict, dict]:
        """The rows summed per label set: requests, durations, db, cache, 304s."""
        requests: dict[tuple, int] = {}
        durations: dict[tuple, list] = {}
        db: dict[str, list] = {}
        cache: dict[tuple, int] = {}
        not_modified: dict[str, int] = {}
        for (method, endpoint, code, cache_state), row in rows.items():
            route = self.route(endpoint)
            key = (method, route, code[:1] + "xx")
            requests[key] = requests.get(key, 0) + row[0]
            hist = durations.setdefault((method, route), [0.0] + [0] * len(self.bounds))
            hist[0] += row[1]
            for i, n in enumerate(row[4:], 1):
                hist[i] += n
            if row[2]:
                acc = db.setdefault(route, [0, 0.0])
                acc[0] += row[2]
                acc[1] += row[3]
            for item in self._cache_items(cache_state, code):
                if item[0] == "304":
                    not_modified[item[1]] = not_modified.get(item[1], 0) + row[0]
                else:
                    cache[item] = cache.get(item, 0) + row[0]
        return requests, durations, db, cache, not_modified

    def _emit(self, requests: dict, durations: dict, db: dict, cache: dict, not_modified: dict) -> None:
        f, child = self.f, self._child
        for labels, n in requests.items():
            child(f.http_requests, labels).inc(n)
        for labels, hist in durations.items():
            histogram = child(f.http_duration, labels)
            for i, n in enumerate(hist[1:]):
                if n:
                    histogram._buckets[i].inc(n)  # prometheus_client's per-bucket values (non-cumulative)
            histogram._sum.inc(hist[0])
        for route, (statements, seconds) in db.items():
            child(f.db_statements, (route,)).inc(statements)
            child(f.db_seconds, (route,)).inc(seconds)
        for labels, n in cache.items():
            child(f.cache_requests, labels).inc(n)
        for layer, n in not_modified.items():
            child(f.not_modified, (layer,)).inc(n)

    def _cache_items(self, cache: str | None, code: str) -> tuple[tuple[str, str], ...]:
        """L1 hit; or an L1 miss that the view cache then hit or missed; a 304 by the layer that gave it."""
        if cache == "l1":
            return (("l1", "hit"), ("304", "l1")) if code == "304" else (("l1", "hit"),)
        if cache not in ("hit", "miss"):
            return ()  # None: not a cacheable GET; "off": caching disabled
        items = (("l1", "miss"), ("view", cache)) if self.l1_installed else (("view", cache),)
        return (*items, ("304", "view")) if code == "304" else items

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
        tally.rows, tally.dirty = {}, False
        tally.active = 0
        tally._children = {}
        ensure_thread(tally.interval)
