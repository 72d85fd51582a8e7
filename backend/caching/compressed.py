"""The byte cache Flask-Compress uses: compressed bodies keyed by '<algorithm>;<etag>'."""

from __future__ import annotations

import threading

from cachetools import LRUCache


class CompressedBytes:
    """A bounded, thread-safe LRU of compressed bodies (content-addressed: never stale).

    A key ending in ';' has no ETag: the response was not cacheable (e.g. per-user data), so it
    is neither looked up nor stored.
    """

    def __init__(self, size: int = 2000):
        """Hold at most `size` bodies; the least recently used goes first."""
        self._data: LRUCache[str, bytes] = LRUCache(maxsize=max(1, size))
        self._lock = threading.Lock()  # cachetools caches are not thread-safe (gthread workers)

    def get(self, key: str) -> bytes | None:
        """The compressed body for `key`, or None."""
        if key.endswith(";"):
            return None
        with self._lock:
            return self._data.get(key)

    def set(self, key: str, value: bytes) -> None:
        """Remember a compressed body."""
        if key.endswith(";"):
            return
        with self._lock:
            self._data[key] = value

    def __len__(self) -> int:
        """How many bodies are held."""
        return len(self._data)
