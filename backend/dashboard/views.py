"""Chef-detail views, counted per process in memory and added to `chef_views` in one upsert every few seconds.

The conversion KPI (chef view -> booking) needs how often chefs' details were seen, and most of
those are cache hits the L1 answers before Flask (backend/caching/l1.py) with no hook to run. So
the counter is WSGI middleware *outside* the L1 (installed by the dashboard's init_app, after the
caching extension wrapped the app): it sees every `GET /api/v1/coocook/chefs/<id>` whoever
answers it, and counts the 200s and 304s (a 404 is not a view). The L1 itself is not edited.

Counting is a dict increment under a lock (~1 us); no request writes the database. A daemon
thread per process, started at the first view in that process (so after gunicorn's fork), adds the
counts to `chef_views` every DASHBOARD_VIEWS_FLUSH_SECONDS in one write transaction (one
multi-row upsert), and once more at exit. A failed flush keeps its counts for the next one. What
is lost is at most one interval of one process that dies without exiting cleanly (kill -9): the
figures are for trends and ratios, where that is acceptable and a write per view is not.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend.common.domain import API_PREFIX
from backend.common.validation import DB_INT_MAX
from backend.dashboard.models import ChefView
from backend.database import write_transaction
from backend.extensions import db

log = logging.getLogger(__name__)
CHEF_DETAIL = re.compile(rf"^{API_PREFIX}/coocook/chefs/([1-9][0-9]{{0,9}})$")
MAX_KEYS = 200_000  # counts held while the database refuses flushes; past this the oldest are dropped (logged)
KEY = "dashboard.views"
CHUNK = 2000


class ChefViewCounter:
    """WSGI middleware counting chef-detail views; `flush()` adds them to the database."""

    def __init__(self, wsgi_app: Callable, app: Flask, flush_seconds: float):
        """Wrap `wsgi_app`; flush_seconds <= 0 means no background thread (call `flush()` yourself)."""
        self.wsgi_app = wsgi_app
        self.app = app
        self.flush_seconds = flush_seconds
        self.counts: Counter[tuple[int, dt.date]] = Counter()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._pid: int | None = None  # the process whose flusher thread runs (a fork starts its own)

    def __call__(self, environ: dict, start_response: Callable):
        """Pass through; a chef-detail GET answered 200/304 adds one view."""
        match = CHEF_DETAIL.match(environ.get("PATH_INFO", "")) if environ.get("REQUEST_METHOD") == "GET" else None
        if match is None or int(match.group(1)) > DB_INT_MAX:
            return self.wsgi_app(environ, start_response)
        chef_id = int(match.group(1))

        def counting(status: str, headers: list, exc_info: Any = None):
            if status[:3] in ("200", "304"):
                self.add(chef_id)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.wsgi_app(environ, counting)

    def add(self, chef_id: int, n: int = 1) -> None:
        """Count `n` views of `chef_id` today (UTC)."""
        key = (chef_id, dt.datetime.now(dt.UTC).date())
        with self._lock:
            self.counts[key] += n
            if self.flush_seconds > 0 and self._pid != os.getpid():
                self._start_flusher()

    def pending(self) -> int:
        """Views counted here and not yet in the database."""
        with self._lock:
            return sum(self.counts.values())

    def _start_flusher(self) -> None:
        self._pid = os.getpid()
        threading.Thread(target=self._loop, name="chef-views-flush", daemon=True).start()
        atexit.register(self.flush)

    def _loop(self) -> None:
        stop = threading.Event()
        while not stop.wait(self.flush_seconds):
            self.flush()

    def flush(self) -> int:
        """Add the counted views to `chef_views` (one write transaction); returns how many views went."""
        with self._flush_lock:
            with self._lock:
                batch, self.counts = self.counts, Counter()
            if not batch:
                return 0
            try:
                with self.app.app_context():
                    try:
                        upsert(batch)
                    finally:
                        db.session.remove()
            except Exception:  # database down or busy: keep the counts for the next flush
                log.warning("chef views: flush of %d keys failed; retrying later", len(batch), exc_info=True)
                with self._lock:
                    self.counts.update(batch)
                    if len(self.counts) > MAX_KEYS:
                        for key in sorted(self.counts, key=lambda k: k[1])[:len(self.counts) - MAX_KEYS]:
                            del self.counts[key]
                        log.error("chef views: over %d keys held; dropped the oldest days", MAX_KEYS)
                return 0
            return sum(batch.values())


def upsert(batch: Counter) -> None:
    """One statement per CHUNK keys, one transaction: add each (chef, day) count to its row, creating rows as needed."""
    rows = [{"chef_id": chef_id, "day": day, "views": n} for (chef_id, day), n in sorted(batch.items())]
    with write_transaction(db.session) as tx:
        insert = pg_insert if tx.get_bind().dialect.name == "postgresql" else sqlite_insert
        for start in range(0, len(rows), CHUNK):  # SQLite caps bound parameters per statement
            statement = insert(ChefView).values(rows[start:start + CHUNK])
            tx.execute(statement.on_conflict_do_update(
                index_elements=[ChefView.chef_id, ChefView.day],
                set_={"views": ChefView.views + statement.excluded.views}))


def install(app: Flask) -> None:
    """Wrap the app (outside the L1, which the caching extension installed earlier) with the counter."""
    counter = ChefViewCounter(app.wsgi_app, app, app.config["DASHBOARD_VIEWS_FLUSH_SECONDS"])
    app.wsgi_app = counter
    app.extensions[KEY] = counter


def counter(app: Flask) -> ChefViewCounter:
    """The app's chef-view counter."""
    return app.extensions[KEY]
