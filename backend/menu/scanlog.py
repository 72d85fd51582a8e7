"""Identify calls logged to scan_logs in batches, not one write per request.

Each process buffers its rows and writes them in one multi-row INSERT when MENU_LOG_BATCH rows
are waiting, when the oldest has waited MENU_LOG_FLUSH_SECONDS (checked on each call and by a
daemon thread, so a quiet worker does not sit on its rows), and at exit. A write per identify would
put a write transaction (SQLite's single writer) on every read-only lookup. What a crash loses is at
most one batch of log rows, never an answer; a failed write keeps the rows for the next flush,
up to ten batches (then the oldest are dropped with a warning).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from typing import Any

from flask import Flask, current_app
from sqlalchemy import insert
from sqlalchemy.orm import Session

from backend.common.models import utcnow
from backend.database import write_transaction
from backend.extensions import db
from backend.menu import counters, settings
from backend.menu.models import ScanLog, ScanSource

log = logging.getLogger(__name__)
KEY = "menu.scanlog"


class ScanLogBuffer:
    """One app's pending identify rows in this process."""

    def __init__(self, app: Flask, batch: int, interval: float):
        """Flush at `batch` rows or `interval` seconds."""
        self.app, self.batch, self.interval = app, max(1, batch), interval
        self._rows: list[dict[str, Any]] = []
        self._oldest = 0.0
        self._retry_at = 0.0  # after a failed write, no inline flush before this (not one per request)
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._pid = 0

    def add(self, menu_name: str, match_type: str, canonical_menu_id: int | None) -> None:
        """Queue one identify row; flush inline when the batch is full or old enough."""
        with self._lock:
            if not self._rows:
                self._oldest = time.monotonic()
            self._rows.append({"menu_name": menu_name[:200], "source": ScanSource.IDENTIFY.value,
                               "match_type": match_type, "status": None, "canonical_menu_id": canonical_menu_id,
                               "created_at": utcnow()})
            now = time.monotonic()
            due = (len(self._rows) >= self.batch or now - self._oldest >= self.interval) and now >= self._retry_at
        self._ensure_thread()
        if due:
            self.flush()

    def pending(self) -> int:
        """Rows waiting in this process."""
        with self._lock:
            return len(self._rows)

    def flush(self) -> int:
        """Write every waiting row in one INSERT (one flush at a time); returns how many were written."""
        with self._flushing:
            with self._lock:
                rows, self._rows = self._rows, []
            if not rows:
                return 0
            try:
                with self.app.app_context():
                    session = Session(db.engine)
                    try:
                        with write_transaction(session) as tx:
                            tx.execute(insert(ScanLog.__table__), rows)
                            counters.add(tx, counters.SCAN_LOGS, len(rows))
                    finally:
                        session.close()
            except Exception as exc:
                with self._lock:
                    keep = (rows + self._rows)[-10 * self.batch:]
                    dropped = len(rows) + len(self._rows) - len(keep)
                    self._rows = keep
                    self._oldest = self._retry_at = time.monotonic() + max(self.interval, 1.0)
                log.warning("menu scan log: %d rows not written (%s); kept %d, dropped %d",
                            len(rows), type(exc).__name__, len(keep), dropped)
                return 0
            return len(rows)

    def _ensure_thread(self) -> None:
        """One flusher thread per process (a fork leaves the parent's behind, so check the pid)."""
        if self._pid == os.getpid() or self.interval <= 0 or self.app.testing:
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
        threading.Thread(target=self._run, name="menu-scanlog", daemon=True).start()
        atexit.register(self.flush)

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            if self.pending():
                self.flush()


def init_scanlog(app: Flask) -> None:
    """Give `app` its buffer (MENU_LOG_BATCH, MENU_LOG_FLUSH_SECONDS)."""
    with app.app_context():
        app.extensions[KEY] = ScanLogBuffer(app, settings.number("MENU_LOG_BATCH", int),
                                            settings.number("MENU_LOG_FLUSH_SECONDS"))


def scan_log() -> ScanLogBuffer:
    """The current app's buffer."""
    return current_app.extensions[KEY]
