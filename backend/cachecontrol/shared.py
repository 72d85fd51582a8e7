"""Cache counters shared across workers: one snapshot file per process under INSIGHT_DIR/cache.

A worker's counters live in its memory (backend/caching/stats.py: no I/O on the request path);
a daemon thread, started by the first request a process serves (so a gunicorn master or a CLI
command never runs one), rewrites `<pid>.json` every CACHE_STATS_FLUSH_SECONDS. The admin read
merges its own live counters with every other live process's file; files of dead processes are
removed (their counts go with them: the stats cover the live workers since they started).
Without INSIGHT_DIR (tests) each process reports only itself.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask

from backend.caching.extension import ResponseCache, response_cache
from backend.observability import store

log = logging.getLogger(__name__)
KEY = "cachecontrol.shared"


class SharedStats:
    """One app's snapshot directory and writer thread."""

    def __init__(self, cache: ResponseCache, directory: Path | None, interval: float):
        self.cache = cache
        self.directory = directory
        self.interval = interval
        self._pid = 0
        self._lock = threading.Lock()
        self._warned = False

    def local(self) -> dict[str, Any]:
        """This process's counters plus the sizes of its in-process layers."""
        snapshot = self.cache.stats.snapshot()
        l1 = self.cache.l1
        compressed = self.cache.compressed
        snapshot["sizes"] = {
            "l1": {"entries": len(l1), "bytes": l1.size_bytes()} if l1 is not None else None,
            "compressed": {"entries": len(compressed), "bytes": compressed.size_bytes()}
            if compressed is not None else None,
            "view": view_size(self.cache),
        }
        snapshot["pid"] = os.getpid()
        return snapshot

    def ensure_writer(self) -> None:
        """Start this process's writer thread (once per process; a no-op without a directory)."""
        if self.directory is None or self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                threading.Thread(target=self._loop, name="sf-cache-stats", daemon=True).start()

    def _loop(self) -> None:
        while True:
            time.sleep(self.interval)
            self.write()

    def write(self) -> None:
        """Rewrite this process's file (atomic replace); failures are logged once."""
        if self.directory is None:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            store.write_json(self.directory / f"{os.getpid()}.json", self.local())
        except OSError as exc:
            if not self._warned:
                self._warned = True
                log.warning("cache stats: could not write to %s: %s", self.directory, exc)

    def all(self) -> list[dict[str, Any]]:
        """Every live process's snapshot, this one's live."""
        found = [self.local()]
        if self.directory is None or not self.directory.is_dir():
            return found
        for path in self.directory.glob("*.json"):
            pid = int(path.stem) if path.stem.isdigit() else 0
            if pid == os.getpid():
                continue
            if not pid or not store.pid_alive(pid):
                path.unlink(missing_ok=True)  # a dead worker's counters: gone with it
                continue
            data = store.read_json(path)
            if data is not None:
                found.append(data)
        return found


def view_size(cache: ResponseCache) -> dict[str, Any] | None:
    """Entries and bytes of the view cache when it is this process's SimpleCache; None for Redis."""
    backend = getattr(cache.cache, "cache", None)
    inner = getattr(backend, "_cache", None)
    if not isinstance(inner, dict):
        return None
    items = [(k, v) for k, v in list(inner.items()) if str(k).startswith(cache_prefix(cache) + "resp:")]
    return {"entries": len(items), "bytes": sum(len(v[1]) for _, v in items if isinstance(v, tuple) and
                                                 isinstance(v[1], (bytes, bytearray)))}


def cache_prefix(cache: ResponseCache) -> str:
    """The key prefix Flask-Caching puts in front of ours."""
    return getattr(cache.cache, "_prefix", "") or ""


def init_cache_stats(app: Flask) -> None:
    """The domain's init hook: a SharedStats for the app, its writer started by the first request."""
    directory = Path(app.config["INSIGHT_DIR"]) / "cache" if app.config.get("INSIGHT_DIR") else None
    shared = app.extensions[KEY] = SharedStats(response_cache(app), directory,
                                               float(app.config["CACHE_STATS_FLUSH_SECONDS"]))
    app.before_request(shared.ensure_writer)


def shared_stats(app: Flask | None = None) -> SharedStats:
    """The SharedStats of `app` (default: the current app)."""
    from flask import current_app

    return (app or current_app).extensions[KEY]
