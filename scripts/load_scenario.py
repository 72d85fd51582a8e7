"""The load test's scenario on Locust: the closed- and open-model users running weighted actions, the recorder.

The actions and their weights come from the domains (`LOAD_ACTIONS` in `backend/<domain>/perf.py`,
gathered by scripts.perf_spec). ClosedUser sends back to back; RateUser is one sender of the open-model pool and
tags each request with its scheduled time (User.context()), which Recorder uses to measure
latency from the schedule rather than from the actual send. Importing this module imports Locust,
which monkey-patches the interpreter for gevent: import it before requests/urllib3.
"""

from __future__ import annotations

import collections
import itertools
import random
import re
import resource
import time

import gevent
import gevent.event
from locust import FastHttpUser, constant, task

from scripts.perf_spec import LoadAction


class Shared:
    """State every virtual user reads, filled in before the run: tokens, weighted actions, the domains' state."""

    tokens: list[str] = []
    actions: list[LoadAction] = []
    weights: list[int] = []
    state: dict = {}  # what the domains' load_setup() discovered (ids, filters, slot pickers)
    token_counter = itertools.count()


class ScenarioUser(FastHttpUser):
    """A signed-in client running the scenario's weighted actions back to back (closed model)."""

    abstract = True
    wait_time = constant(0)
    auth: dict = {}

    def on_start(self) -> None:
        token = Shared.tokens[next(Shared.token_counter) % len(Shared.tokens)] if Shared.tokens else None
        self.auth = {"Authorization": f"Bearer {token}"} if token else {}

    def act(self) -> None:
        """One weighted-random action."""
        random.choices(Shared.actions, Shared.weights)[0].run(self, Shared.state)


class ClosedUser(ScenarioUser):
    """Closed model: the next request leaves when the previous one returned (plus --think-ms)."""

    abstract = False

    @task
    def step(self) -> None:
        self.act()


class Schedule:
    """Open-model arrivals: slot k is due at t0 + k/rate; `take()` hands slots out in order."""

    def __init__(self) -> None:
        self.t0, self.rate, self.total, self.taken = 0.0, 1.0, 0, 0
        self.open = gevent.event.Event()  # idle senders block here between steps instead of polling

    def begin(self, rate: float, seconds: float) -> None:
        self.t0, self.rate, self.total, self.taken = time.perf_counter() + 0.05, rate, int(rate * seconds), 0
        self.open.set()

    def end(self) -> None:
        self.open.clear()

    def take(self) -> float | None:
        """The next slot's due time; blocks while no step is running; None when this step has no slots left."""
        self.open.wait()
        if self.taken >= self.total:
            self.end()
            return None
        due = self.t0 + self.taken / self.rate
        self.taken += 1
        return due


SCHEDULE = Schedule()


class RateUser(ScenarioUser):
    """Open model: one member of the sending pool; each request carries its scheduled time in its context."""

    abstract = False
    scheduled: float | None = None

    def context(self) -> dict:
        return {"scheduled": self.scheduled} if self.scheduled is not None else {}

    @task
    def arrive(self) -> None:
        due = SCHEDULE.take()
        if due is None:
            return
        gevent.sleep(max(0.0, due - time.perf_counter()))
        self.scheduled = due
        try:
            self.act()
        finally:
            self.scheduled = None


def classify(response, exception) -> str | None:
    """None for a success, else the failure cause: status_<code>, timeout, connection_error or other_<type>."""
    if exception is None:
        return None
    status = getattr(response, "status_code", 0) or 0
    if status:
        return f"status_{status}"
    text = f"{type(exception).__name__} {exception}".lower()
    if isinstance(exception, (TimeoutError, gevent.Timeout)) or "timed out" in text or "timeout" in text:
        return "timeout"
    if isinstance(exception, OSError) or "connection" in text or "reset" in text or "refused" in text:
        return "connection_error"
    return f"other_{type(exception).__name__}"


class Recorder:
    """Per-step results from Locust's request event: latency (from schedule in open mode) and causes."""

    def __init__(self) -> None:
        self.reset(active=False)

    def reset(self, active: bool) -> None:
        self.active = active
        self.latencies: list[float] = []
        self.service: list[float] = []
        self.causes: collections.Counter = collections.Counter()
        self.ok = self.conflicts = self.completed_scheduled = 0
        self.cache: collections.Counter = collections.Counter()  # Server-Timing cache state: hit, miss, none
        self.cache_by_name: collections.Counter = collections.Counter()  # (request name, state)
        self.started = time.perf_counter()
        self.cpu_started = cpu_seconds()

    def on_request(self, response_time, response, context, exception, name=None, **_kw) -> None:
        if not self.active:
            return
        scheduled = (context or {}).get("scheduled")
        if scheduled is not None and scheduled < self.started - 0.1:
            return  # a straggler scheduled in an earlier step: already counted there as a timeout
        if scheduled is not None:
            self.completed_scheduled += 1
            self.latencies.append((time.perf_counter() - scheduled) * 1000)
        else:
            self.latencies.append(response_time)
        self.service.append(response_time)
        state = cache_state(response)
        self.cache[state] += 1
        self.cache_by_name[(name, state)] += 1
        cause = classify(response, exception)
        if cause is None:
            self.ok += 1
            self.conflicts += getattr(response, "status_code", 0) == 409
        else:
            self.causes[cause] += 1


CACHE_STATE = re.compile(r'cache;desc="(\w+)"')


def cache_state(response) -> str:
    """`hit` / `miss` (a cacheable public GET) or `none` (per-user, writes, errors) from Server-Timing."""
    headers = getattr(response, "headers", None) or {}
    match = CACHE_STATE.search(headers.get("Server-Timing", "") or "")
    return match.group(1) if match and match.group(1) in ("hit", "miss") else "none"


def cache_summary(counts: collections.Counter) -> dict:
    """Hit rate over the cacheable requests and over every request of a step."""
    hits, misses, total = counts["hit"], counts["miss"], sum(counts.values())
    return {"hits": hits, "misses": misses, "uncacheable": counts["none"],
            "hit_rate": round(hits / (hits + misses), 4) if hits + misses else None,
            "hit_rate_all_requests": round(hits / total, 4) if total else None}


def cpu_seconds() -> float:
    """CPU seconds (user + system) this process has used: the load generator's own cost."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
