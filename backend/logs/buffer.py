"""Getting log lines into the store without a write per request.

`StoreHandler` (on the root logger at WARNING) and the request sampler hand finished, masked rows
to the app's `LogBuffer`: a bounded deque in this process. One background thread per process
(started lazily by the first row a process buffers, so a gunicorn master that never serves
does not run one, and a forked child starts its own) flushes every LOG_STORE_FLUSH_SECONDS
(0.5 s: the store is at most ~1 s behind) in multi-row INSERTs of up to LOG_STORE_BATCH rows.

The database down must not take the app with it: a failed flush puts its rows back while there
is room and drops the rest; a full buffer drops new rows; both are counted (`dropped`) and one
warning per outage goes to the stream (never to the buffer: the flusher's own records are
ignored by the handler, or an outage would feed itself).
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import random
import threading
import time
import weakref
from collections import deque
from contextlib import nullcontext
from typing import Any

import orjson
from flask import current_app, has_app_context
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from backend.database import IMMEDIATE, write_lock_for
from backend.logs.models import MESSAGE_MAX, PATH_MAX, LogEntry

log = logging.getLogger(__name__)
KEY = "logs.buffer"
DATA_MAX = 16_000  # bytes of JSON kept beside the columns (a traceback is trimmed to fit)
COLUMNS = ("request_id", "method", "path", "status", "duration_ms", "user_id")

_buffers: weakref.WeakSet[LogBuffer] = weakref.WeakSet()
_latest: list[weakref.ref] = []  # the most recent buffer: records outside any app context go there
_thread_lock = threading.Lock()
_thread_pid = 0
_flushing = threading.local()


class LogBuffer:
    """One app's pending rows and its flush into `log_entries`."""

    def __init__(self, engine: Engine, config: dict[str, Any]):
        """Bounded by LOG_STORE_BUFFER rows; requests sampled at LOG_STORE_SAMPLE (0..1)."""
        self.engine = engine
        self.capacity = max(1, int(config["LOG_STORE_BUFFER"]))
        self.batch = max(1, int(config["LOG_STORE_BATCH"]))
        self.flush_seconds = float(config["LOG_STORE_FLUSH_SECONDS"])
        self.sample = float(config["LOG_STORE_SAMPLE"])
        self.slow_ms = float(config["LOG_STORE_SLOW_MS"])
        self.reset()

    def reset(self) -> None:
        """Start empty (a forked child: its parent's rows are the parent's to write)."""
        self._rows: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self.dropped = 0
        self.written = 0
        self._failing = False

    def __len__(self) -> int:
        """Rows waiting to be written."""
        return len(self._rows)

    def add(self, row: dict[str, Any]) -> None:
        """Queue one row (dropped and counted when the buffer is full)."""
        with self._lock:
            if len(self._rows) >= self.capacity:
                self.dropped += 1
                return
            self._rows.append(row)
        _ensure_thread()

    def record_request(self, info: dict[str, Any], status: int, ms: float) -> None:
        """The request sampler: server errors and slow requests always, the rest at LOG_STORE_SAMPLE."""
        if status < 500 and ms < self.slow_ms and (self.sample <= 0 or random.random() >= self.sample):
            return
        self.add({"created_at": _now(), "level": "error" if status >= 500 else "info", "logger": "backend.request",
                  "message": "request", "request_id": info.get("request_id"), "method": info.get("method"),
                  "path": (info.get("path") or "")[:PATH_MAX], "status": status, "duration_ms": round(ms, 3),
                  "user_id": info.get("user_id"), "error_type": None, "data": {}})

    def flush(self) -> int:
        """Write what is queued, in batches; returns how many rows were written."""
        written = 0
        with self._flush_lock:
            while True:
                with self._lock:
                    batch = [self._rows.popleft() for _ in range(min(self.batch, len(self._rows)))]
                if not batch:
                    return written
                if not self._write(batch):
                    return written
                written += len(batch)

    def _write(self, batch: list[dict[str, Any]]) -> bool:
        _flushing.active = True
        try:
            lock = write_lock_for(self.engine)
            with lock.held() if lock is not None else nullcontext(), self.engine.connect() as conn:
                conn = conn.execution_options(**{IMMEDIATE: True})
                with conn.begin():
                    conn.execute(insert(LogEntry), batch)
        except Exception as exc:  # database down or locked: keep what fits, count the rest
            with self._lock:
                room = self.capacity - len(self._rows)
                self._rows.extendleft(reversed(batch[:max(0, room)]))
                self.dropped += max(0, len(batch) - max(0, room))
            if not self._failing:
                self._failing = True
                log.warning("log store: could not write %d rows (%s: %s); buffering up to %d, dropping beyond",
                            len(batch), type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "",
                            self.capacity)
            return False
        finally:
            _flushing.active = False
        if self._failing:
            self._failing = False
            log.warning("log store: writing again (%d rows dropped so far)", self.dropped)
        self.written += len(batch)
        return True


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def row_from_event(event: dict[str, Any], created: float) -> dict[str, Any]:
    """A `log_entries` row from a rendered (masked) event dict."""
    rest = {k: v for k, v in event.items() if k not in ("timestamp", "level", "logger", "message", *COLUMNS)}
    exception = rest.get("exception")
    error_type = exception[-1].get("exc_type") if isinstance(exception, list) and exception and \
        isinstance(exception[-1], dict) else None
    data = orjson.dumps(rest, default=repr)
    if len(data) > DATA_MAX and isinstance(exception, list):
        for entry in exception:  # keep the innermost frames: that is where it broke
            if isinstance(entry, dict) and isinstance(entry.get("frames"), list):
                entry["frames"] = entry["frames"][-5:]
        data = orjson.dumps(rest, default=repr)
    if len(data) > DATA_MAX:
        rest = {"truncated": data[:DATA_MAX].decode("utf-8", "ignore")}
    status = event.get("status")
    return {"created_at": dt.datetime.fromtimestamp(created, dt.UTC).replace(tzinfo=None),
            "level": str(event.get("level", "info"))[:10], "logger": str(event.get("logger", ""))[:120],
            "message": str(event.get("message", ""))[:MESSAGE_MAX],
            "request_id": _text(event.get("request_id"), 128), "method": _text(event.get("method"), 10),
            "path": _text(event.get("path"), PATH_MAX),
            "status": status if isinstance(status, int) and 0 <= status < 1000 else None,
            "duration_ms": event.get("duration_ms") if isinstance(event.get("duration_ms"), (int, float)) else None,
            "user_id": event.get("user_id") if isinstance(event.get("user_id"), int) else None,
            "error_type": _text(error_type, 120), "data": rest}


def _text(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if value is not None else None


class StoreHandler(logging.Handler):
    """Root handler at WARNING: each record, rendered and masked like the stream's, becomes a row."""

    def __init__(self, formatter: logging.Formatter):
        super().__init__(logging.WARNING)
        self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        """Queue the record in the current app's buffer (or the latest one outside an app)."""
        if getattr(_flushing, "active", False):
            return
        buffer = current_buffer()
        if buffer is None:
            return
        try:
            event = orjson.loads(self.format(record))
            buffer.add(row_from_event(event, record.created))
        except Exception:
            self.handleError(record)


def current_buffer() -> LogBuffer | None:
    """The buffer of the current app, else of the most recently built one."""
    if has_app_context():
        found = current_app.extensions.get(KEY)
        if found is not None:
            return found
    ref = _latest[0] if _latest else None
    return ref() if ref is not None else None


def register(buffer: LogBuffer) -> None:
    """Make `buffer` flushed by this process's thread and the default for records outside an app."""
    _buffers.add(buffer)
    _latest[:] = [weakref.ref(buffer)]


def _flush_loop() -> None:
    while True:
        time.sleep(min((b.flush_seconds for b in list(_buffers)), default=0.5))
        for buffer in list(_buffers):
            if len(buffer):
                try:
                    buffer.flush()
                except Exception:  # never let the thread die: the next tick tries again
                    log.exception("log store: flush failed")


def _ensure_thread() -> None:
    global _thread_pid
    if _thread_pid == os.getpid():
        return
    with _thread_lock:
        if _thread_pid != os.getpid():
            threading.Thread(target=_flush_loop, name="sf-log-store", daemon=True).start()
            _thread_pid = os.getpid()


def _after_fork_in_child() -> None:
    global _thread_lock
    _thread_lock = threading.Lock()
    for buffer in list(_buffers):
        buffer.reset()


def flush_all() -> None:
    """Write every buffer now (at exit, and in tests)."""
    for buffer in list(_buffers):
        try:
            buffer.flush()
        except Exception:
            log.exception("log store: final flush failed")


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(flush_all)
