"""The byte cache Flask-Compress uses: compressed bodies keyed by '<algorithm>;<etag>'."""

from __future__ import annotations

import threading
import time
from typing import Any

from cachetools import LRUCache


class CompressedBytes:
    """A bounded, thread-safe LRU of compressed bodies (content-addressed: never stale).

    A key ending in ';' has no ETag: the response was not cacheable (e.g. per-user data), so it
    is neither looked up nor stored.
    """

    def __init__(self, size: int = 2000, stats: Any = None):
        """Hold at most `size` bodies; the least recently used goes first; `stats` counts gets (caching.stats)."""
        self._data: LRUCache[str, bytes] = LRUCache(maxsize=max(1, size))
        self.stats = stats
        self._lock = threading.Lock()  # cachetools caches are not thread-safe (gthread workers)

    def get(self, key: str) -> bytes | None:
        """The compressed body for `key`, or None."""
        if key.endswith(";"):
            return None
        started = time.perf_counter()
        with self._lock:
            value = self._data.get(key)
        if self.stats is not None:
            self.stats.record(value is not None, time.perf_counter() - started)
        return value

    def set(self, key: str, value: bytes) -> None:
        """Remember a compressed body."""
        if key.endswith(";"):
            return
        with self._lock:
            self._data[key] = value

    def __len__(self) -> int:
        """How many bodies are held."""
        return len(self._data)

    def size_bytes(self) -> int:
        """Bytes of the bodies held."""
        with self._lock:
            return sum(len(v) for v in self._data.values())
