"""The load test's scenario on Locust: weighted actions, the closed- and open-model users, the recorder.

Actions: browse/filter chefs, open a chef, book a free slot, list my bookings (weights in
SCENARIOS). ClosedUser sends back to back; RateUser is one sender of the open-model pool and
tags each request with its scheduled time (User.context()), which Recorder uses to measure
latency from the schedule rather than from the actual send. Importing this module imports Locust,
which monkey-patches the interpreter for gevent: import it before requests/urllib3.
"""

from __future__ import annotations

import collections
import itertools
import random
import resource
import time

import gevent
import gevent.event
from locust import FastHttpUser, constant, task
from perf_common import API, SlotPicker

SCENARIOS = {
    "realistic": {"browse": 60, "open_chef": 25, "book": 10, "my_bookings": 5},
    "chefs": {"chef_list": 100},
}


class Shared:
    """State every virtual user reads, filled in before the run: tokens, chef ids, filters, slots, weighted actions."""

    tokens: list[str] = []
    chef_ids: list[int] = []
    filters: list[str] = []
    slots: SlotPicker | None = None
    actions: list = []
    weights: list[int] = []
    token_counter = itertools.count()


def browse(user: FastHttpUser) -> None:
    """Chef list: page 1 of the default sort (the cached hot path) or a filtered/sorted page."""
    if random.random() < 0.4:
        user.client.get(f"{API}/coocook/chefs", name="chefs: list")
    else:
        page = random.choice((1, 1, 1, 2, 3))
        user.client.get(f"{API}/coocook/chefs?{random.choice(Shared.filters)}&page={page}", name="chefs: filter")


def chef_list(user: FastHttpUser) -> None:
    """The public chef list, page 1."""
    user.client.get(f"{API}/coocook/chefs", name="chefs: list")


def open_chef(user: FastHttpUser) -> None:
    """A chef page; skewed toward the top of the list (popular chefs are opened more)."""
    chef_id = Shared.chef_ids[int(len(Shared.chef_ids) * random.random() ** 2)]
    user.client.get(f"{API}/coocook/chefs/{chef_id}", name="chefs: detail")


def book(user: FastHttpUser) -> None:
    """Book a slot no one in this run has booked; a 409 (taken by an earlier run) is a correct answer."""
    with user.client.post(f"{API}/coocook/bookings", json=Shared.slots.next(), headers=user.auth,
                          name="bookings: create", catch_response=True) as response:
        if response.status_code == 409:
            response.success()


def my_bookings(user: FastHttpUser) -> None:
    """The signed-in user's bookings."""
    user.client.get(f"{API}/coocook/bookings", headers=user.auth, name="bookings: mine")


ACTIONS = {"browse": browse, "chef_list": chef_list, "open_chef": open_chef, "book": book,
           "my_bookings": my_bookings}


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
        random.choices(Shared.actions, Shared.weights)[0](self)


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
        self.started = time.perf_counter()
        self.cpu_started = cpu_seconds()

    def on_request(self, response_time, response, context, exception, **_kw) -> None:
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
        cause = classify(response, exception)
        if cause is None:
            self.ok += 1
            self.conflicts += getattr(response, "status_code", 0) == 409
        else:
            self.causes[cause] += 1


def cpu_seconds() -> float:
    """CPU seconds (user + system) this process has used: the load generator's own cost."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
