"""Fixed-window counters for `ClientLimit`: this process's memory, or Redis counted in batches.

A window is `int(now // period)`: aligned to the clock, so its reset time needs no store. Each
limit keeps only its current window (a new window starts with empty counters: nothing to prune).

`SharedWindows` (Redis) never makes a request wait on Redis: a request adds one to this worker's
unflushed count and is judged on the shared total last read from Redis plus that count; a
background thread sends the unflushed counts (one pipelined INCRBY+EXPIRE per key) at most every
`interval` seconds and reads the new totals back. The limit is therefore soft: see `SharedWindows`.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time

log = logging.getLogger(__name__)


class Limit:
    """One parsed limit (`limits` item) with what a request needs precomputed."""

    __slots__ = ("amount", "period", "text", "amount_text", "name")

    def __init__(self, item, name: str):
        """`name` tells the limits apart in Redis keys (e.g. `10/60`)."""
        self.amount = item.amount
        self.period = item.get_expiry()
        self.text = str(item)
        self.amount_text = str(item.amount)
        self.name = name


class MemoryWindows:
    """This process's counters, without a lock.

    A counter is an `itertools.count`: `dict.setdefault` with a str key and `next()` on a count are
    each one C call under the GIL, so concurrent threads (gthread workers) never lose an increment.
    Only starting a new window takes a lock (once per window and limit).
    """

    def __init__(self, limits: list[Limit]):
        """One current window per limit, in the order of `limits`: (its end, its counters)."""
        self.periods = [limit.period for limit in limits]
        self._windows = [(0, {}) for _ in limits]
        self._roll = threading.Lock()

    def hit_many(self, slots: tuple[int, ...], whos: tuple[str, ...], now: float) -> list[tuple[int, int]]:
        """Count one request for each (limit slot, who); returns [(count, end of its window)]."""
        results = []
        for slot, who in zip(slots, whos, strict=True):
            end, counts = self._windows[slot]
            if now >= end:
                end, counts = self._new_window(slot, now)
            counter = counts.get(who)
            if counter is None:
                counter = counts.setdefault(who, itertools.count(1))
            results.append((next(counter), end))
        return results

    def _new_window(self, slot: int, now: float) -> tuple[int, dict]:
        period = self.periods[slot]
        end = (int(now // period) + 1) * period
        with self._roll:  # two threads starting the same window must share its counters
            if self._windows[slot][0] < end:
                self._windows[slot] = (end, {})
            return self._windows[slot]


class SharedWindows:
    """Counters shared by every worker and host through Redis, counted locally and flushed in batches.

    Softness: a worker judges a request on the total Redis returned at its last flush of that key
    plus its own unflushed requests, so it does not see the other workers' requests since that
    flush. A worker's next flush follows its first unflushed request within `interval` plus one
    round trip, and from then on it sees the limit spent; so past the limit each worker admits at
    most the requests it answers in one `interval` plus a round trip (and at least one). With W
    workers the ceiling is the limit plus W times that (5 ms and two workers answering ~5,000
    requests/s each: ~25 each, ~50 over a limit of 1,200 a minute); a single worker is exact.

    Redis down: the failed flush is logged once, its counts go back into the unflushed ones and the
    next try is `retry_after` seconds later; meanwhile every request is still judged on the last
    shared total plus this worker's counts (fail open to a per-worker limit, never a 500), and the
    counts of the current window reach Redis when it is back.

    Fork-safe: the thread and its lock belong to the process that made them; a request in another
    process (a forked gunicorn worker) starts afresh with its own. No thread until the first request.
    """

    def __init__(self, limits: list[Limit], url: str, options: dict, prefix: str, interval: float,
                 retry_after: float):
        """Connect lazily (redis-py) with the given short timeouts; no thread yet."""
        import redis

        self.client = redis.Redis.from_url(url, **options)
        self.limits = limits
        self.prefix = prefix
        self.interval = interval
        self.retry_after = retry_after
        self._pid = -1  # no process owns the state yet: the first request sets it up
        self._starting = threading.Lock()

    def _start(self) -> None:
        """Fresh state, lock and thread for this process (first request, or first after a fork)."""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        # per limit: (end of the window, unflushed counts, totals read from Redis), that window only
        self._windows = [(0, {}, {}) for _ in self.limits]
        self._dirty = False  # unflushed counts exist and the thread has been woken for them
        self._down_since = 0.0
        self._pid = os.getpid()
        threading.Thread(target=self._run, args=(self._pid,), name="throttle-flush", daemon=True).start()

    def hit_many(self, slots: tuple[int, ...], whos: tuple[str, ...], now: float) -> list[tuple[int, int]]:
        """Count one request for each (limit slot, who); returns [(count, end of its window)]."""
        if self._pid != os.getpid():
            with self._starting:  # two threads of a fresh worker must not start two flushers
                if self._pid != os.getpid():
                    self._start()
        results = []
        with self._lock:
            for slot, who in zip(slots, whos, strict=True):
                end, unflushed, totals = self._windows[slot]
                if now >= end:
                    period = self.limits[slot].period
                    end, unflushed, totals = self._windows[slot] = ((int(now // period) + 1) * period, {}, {})
                mine = unflushed.get(who, 0) + 1
                unflushed[who] = mine
                results.append((totals.get(who, 0) + mine, end))
            wake = not self._dirty
            self._dirty = True
        if wake:
            self._wake.set()
        return results

    def _run(self, pid: int) -> None:
        """Flush whenever there is something to flush, at most once per `interval`."""
        while self._pid == pid:
            self._wake.wait()
            self._wake.clear()
            if self._pid != pid:
                return
            if not self._flush():
                time.sleep(self.retry_after)
                self._wake.set()  # try again: the counts are still unflushed
            time.sleep(self.interval)

    def _flush(self) -> bool:
        """Send the unflushed counts in one round trip and keep the totals; False when Redis failed."""
        with self._lock:
            batch = []
            for slot, (end, unflushed, totals) in enumerate(self._windows):
                if unflushed:
                    self._windows[slot] = (end, {}, totals)
                    batch.append((slot, end, unflushed))
            self._dirty = False
        if not batch:
            return True
        try:
            replies = self._send(batch)
        except Exception as exc:  # Redis down: keep counting here (fail open, bounded per worker)
            self._put_back(batch, exc)
            return False
        if self._down_since:
            log.warning("rate-limit storage back after %.1f s", time.monotonic() - self._down_since)
            self._down_since = 0.0
        with self._lock:
            for slot, end, unflushed in batch:
                current, _, totals = self._windows[slot]
                for who in unflushed:
                    total = next(replies)
                    if current == end:  # the totals of a finished window are of no use
                        totals[who] = total
        return True

    def _send(self, batch: list):
        """One pipelined round trip: INCRBY and EXPIRE per key; an iterator over the new totals."""
        pipe = self.client.pipeline(transaction=False)
        for slot, end, unflushed in batch:
            limit = self.limits[slot]
            for who, count in unflushed.items():
                key = f"{self.prefix}{limit.name}:{who}:{end // limit.period - 1}"  # window number
                pipe.incrby(key, count)
                pipe.expire(key, limit.period + 1)
        return iter(pipe.execute()[::2])

    def _put_back(self, batch: list, exc: Exception) -> None:
        if not self._down_since:
            log.warning("rate-limit storage unavailable, counting per worker until it is back: %s", exc)
            self._down_since = time.monotonic()
        with self._lock:
            for slot, end, unflushed in batch:
                current, now_unflushed, _ = self._windows[slot]
                if current == end:
                    for who, count in unflushed.items():
                        now_unflushed[who] = now_unflushed.get(who, 0) + count
            self._dirty = True

    def close(self) -> None:
        """Stop this process's flush thread (tests; a worker's thread dies with the worker)."""
        if self._pid == os.getpid():
            self._pid = -1
            self._wake.set()
