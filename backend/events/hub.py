"""`Hub`: one poller per process tells each open stream when its job has news.

Without it every stream would poll the database on its own (200 streams x 5 polls/s = 1,000
queries/s competing with the API for the same two cores). With it a tick is one indexed query
for all watched jobs: `SELECT id, last_seq, status FROM jobs WHERE id IN (...)`, whatever the
number of streams. The poller thread starts on the first subscription in each process (never at
import, never before a fork) and idles when nothing is watched.

Other kinds of news plug in as *sources* (`add_source`): a function that reads, in one statement,
a marker (e.g. the newest row id) for each watched key (e.g. a user id); a topic watch is woken
when its key's marker changes. The notifications stream is one (backend/notifications/live.py).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from backend.database import read_connection
from backend.jobs.models import Job

log = logging.getLogger(__name__)
CHUNK = 500  # ids per IN list
Source = Callable[[Any, list[Any]], dict[Any, Any]]  # (connection, keys) -> {key: marker}


@dataclass(eq=False)
class Watch:
    """One stream's view of its job: the newest seq and status the poller saw, and a wake-up."""

    job_id: str
    last_seq: int
    status: str
    woken: threading.Event = field(default_factory=threading.Event)


@dataclass(eq=False)
class TopicWatch:
    """One stream's view of a source key: the newest marker the poller saw, and a wake-up."""

    source: str
    key: Any
    marker: Any
    woken: threading.Event = field(default_factory=threading.Event)


class Hub:
    """Subscriptions by job id, refreshed every `interval` seconds by one thread."""

    def __init__(self, engine: Engine, interval: float):
        """Nothing runs until the first `subscribe`."""
        self.engine = engine
        self.interval = interval
        self._watches: dict[str, set[Watch]] = {}
        self._sources: dict[str, Source] = {}
        self._topics: dict[tuple[str, Any], set[TopicWatch]] = {}
        self._lock = threading.Lock()
        self._open: dict[Any, int] = {}  # open streams per owner (admit / leave)
        self._pid: int | None = None
        self._has_work = threading.Event()

    def subscribe(self, job_id: str, last_seq: int, status: str) -> Watch:
        """Watch `job_id` (as read when the stream opened)."""
        watch = Watch(job_id, last_seq, status)
        with self._lock:
            self._watches.setdefault(job_id, set()).add(watch)
            self._start()
        self._has_work.set()
        return watch

    def add_source(self, name: str, poll: Source) -> None:
        """Register a source of topic news (at app creation, before any stream)."""
        self._sources[name] = poll

    def watch(self, source: str, key: Any, marker: Any) -> TopicWatch:
        """Watch `key` of `source` from `marker` (as read when the stream opened)."""
        watch = TopicWatch(source, key, marker)
        with self._lock:
            self._topics.setdefault((source, key), set()).add(watch)
            self._start()
        self._has_work.set()
        return watch

    def unwatch(self, watch: TopicWatch) -> None:
        """Stop watching a topic (the stream ended or its client went away)."""
        with self._lock:
            watches = self._topics.get((watch.source, watch.key))
            if watches is not None:
                watches.discard(watch)
                if not watches:
                    del self._topics[(watch.source, watch.key)]

    def _start(self) -> None:
        if self._pid != os.getpid():  # first use in this process (a forked worker starts its own)
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="events-hub", daemon=True).start()

    def unsubscribe(self, watch: Watch) -> None:
        """Stop watching (the stream ended or its client went away)."""
        with self._lock:
            watches = self._watches.get(watch.job_id)
            if watches is not None:
                watches.discard(watch)
                if not watches:
                    del self._watches[watch.job_id]

    def admit(self, owner: Any, limit: int) -> bool:
        """Count one more open stream of `owner` unless it already holds `limit` (per process)."""
        with self._lock:
            if self._open.get(owner, 0) >= limit:
                return False
            self._open[owner] = self._open.get(owner, 0) + 1
            return True

    def leave(self, owner: Any) -> None:
        """One stream of `owner` ended."""
        with self._lock:
            left = self._open.get(owner, 0) - 1
            if left > 0:
                self._open[owner] = left
            else:
                self._open.pop(owner, None)

    @property
    def watching(self) -> int:
        """Open subscriptions in this process."""
        with self._lock:
            return sum(len(w) for w in self._watches.values()) + sum(len(w) for w in self._topics.values())

    def _run(self) -> None:
        while True:
            self._has_work.wait()
            try:
                self.tick()
            except Exception:  # the database went away for a moment: streams keep waiting
                log.warning("events hub: poll failed", exc_info=True)
            threading.Event().wait(self.interval)

    def tick(self) -> int:
        """One poll: wake every watch whose job or topic moved on; returns how many were woken."""
        with self._lock:
            ids = list(self._watches)
            keys: dict[str, list[Any]] = {}
            for source, key in self._topics:
                keys.setdefault(source, []).append(key)
            if not ids and not keys:
                self._has_work.clear()
                return 0
        rows, markers = self._poll(ids, keys)
        woken = 0
        with self._lock:
            for job_id, last_seq, status in rows:
                for watch in self._watches.get(job_id, ()):
                    if last_seq != watch.last_seq or status != watch.status:
                        watch.last_seq, watch.status = last_seq, status
                        watch.woken.set()
                        woken += 1
            for topic, marker in markers.items():
                for topic_watch in self._topics.get(topic, ()):
                    if marker != topic_watch.marker:
                        topic_watch.marker = marker
                        topic_watch.woken.set()
                        woken += 1
        return woken

    def _poll(self, ids: list[str], keys: dict[str, list[Any]]) -> tuple[list[Any], dict[tuple[str, Any], Any]]:
        """One connection: the watched jobs' (id, last_seq, status) and each source's markers."""
        rows, markers = [], {}
        with read_connection(self.engine) as conn:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start:start + CHUNK]
                rows += conn.execute(select(Job.id, Job.last_seq, Job.status).where(Job.id.in_(chunk))).all()
            for source, wanted in keys.items():
                for start in range(0, len(wanted), CHUNK):
                    found = self._sources[source](conn, wanted[start:start + CHUNK])
                    markers.update({(source, key): marker for key, marker in found.items()})
        return rows, markers
