"""Fixed-window counters for `ClientLimit`: this process's memory, or Redis counted in batches.

A window is `int(now // period)`: aligned to the clock, so its reset time needs no store. Each
limit keeps only its current window (a new window starts with empty counters: nothing to prune).

`SharedWindows` (Redis) never makes a request wait on Redis: a request adds one to this worker's
unflushed count and is judged on the shared total last read from Redis plus that count; after a
response has been sent, the worker sends the unflushed counts (one pipelined INCRBY+EXPIRE per
key) when its flush interval has passed (5 ms near a limit, 50 ms otherwise) and reads the new
totals back. The limit is therefore soft: `SharedWindows` states the bound.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time

log = logging.getLogger(__name__)
FAR_FACTOR = 10  # flush interval while no client has spent half a limit, in flush intervals


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

    No thread: the middleware asks for a flush after a response has been sent (the response
    iterable's `close()`, which gunicorn calls once the client has the whole answer) once
    `next_flush` has passed. A background thread was measured first: its wake-ups and GIL
    hand-overs cost ~0.3 ms of CPU per flush, more than the round trips it took off requests.

    How often: every `interval` (5 ms) while a client this worker counts has spent half a limit
    or more as far as it knows, else every `FAR_FACTOR` intervals (50 ms): a flush costs ~0.1-0.3
    ms of CPU, so flushing every 5 ms under a flood far from any limit cost a few percent.

    Softness: a worker judges a request on the total Redis returned at its last flush of that key
    plus its own unflushed requests, so it does not see the other workers' requests since that
    flush. Near a limit it flushes after the first response `interval` or more after its last
    flush, and from then on it sees the limit spent; so past the limit each worker admits at most
    the requests it answers in one `interval` plus one (its first after a pause). With W workers
    the ceiling is the limit plus W times that (5 ms and two workers answering ~5,000 requests/s
    each: ~25 each, ~50 over a limit of 1,200 a minute); a single worker is exact. This holds while
    the other workers do not bring one client from under half its limit to over it within 50 ms
    (600 requests in 50 ms for 1,200 a minute: 12,000 requests/s, beyond a host); beyond that,
    read 50 ms for 5 ms.

    Redis down: the failed flush is logged once, its counts go back into the unflushed ones and the
    next try is `retry_after` seconds later; meanwhile every request is still judged on the last
    shared total plus this worker's counts (fail open to a per-worker limit, never a 500), and the
    counts of the current window reach Redis when it is back. A Redis that does not answer at all
    holds the worker (not the client, who has its response) for the socket timeout once per try.

    Fork-safe: the state and its locks belong to the process that made them; the first request in
    another process (a forked gunicorn worker) starts afresh with its own.
    """

    def __init__(self, limits: list[Limit], url: str, options: dict, prefix: str, interval: float,
                 retry_after: float):
        """Connect lazily (redis-py) with the given short timeouts."""
        import redis

        self.client = redis.Redis.from_url(url, **options)
        self.limits = limits
        self.prefix = prefix
        self.interval = interval
        self.far_interval = interval * FAR_FACTOR
        self.retry_after = retry_after
        self.next_flush = 0.0  # time.time() from which a flush is due
        self._last_flush = 0.0
        self._pid = -1  # no process owns the state yet: the first request sets it up
        self._starting = threading.Lock()

    def _start(self) -> None:
        """Fresh state and locks for this process (first request, or first after a fork)."""
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        # per limit: (end of the window, unflushed counts, totals read from Redis), that window only
        self._windows = [(0, {}, {}) for _ in self.limits]
        self._down_since = 0.0
        self._pid = os.getpid()

    def hit_many(self, slots: tuple[int, ...], whos: tuple[str, ...], now: float) -> list[tuple[int, int]]:
        """Count one request for each (limit slot, who); returns [(count, end of its window)]."""
        if self._pid != os.getpid():
            with self._starting:  # two threads of a fresh worker must not both set up the state
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
                count = totals.get(who, 0) + mine
                if count * 2 >= self.limits[slot].amount:  # near a limit: the short interval
                    self.next_flush = min(self.next_flush, self._last_flush + self.interval)
                results.append((count, end))
        return results

    def flush(self) -> None:
        """Send the unflushed counts if due (one thread at a time; the others skip it)."""
        if self._pid != os.getpid() or not self._flushing.acquire(blocking=False):
            return
        try:
            now = time.time()
            if now >= self.next_flush:
                self._last_flush = now
                self.next_flush = now + (self.far_interval if self._flush() else self.retry_after)
        finally:
            self._flushing.release()

    def _flush(self) -> bool:
        """Send the unflushed counts in one round trip and keep the totals; False when Redis failed."""
        with self._lock:
            batch = []
            for slot, (end, unflushed, totals) in enumerate(self._windows):
                if unflushed:
                    self._windows[slot] = (end, {}, totals)
                    batch.append((slot, end, unflushed))
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
