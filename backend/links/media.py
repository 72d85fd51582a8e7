"""Downloading a link's media in parallel, politely: a concurrency cap and a rate per platform (or host).

Each medium goes through the safe fetcher (vetted address, capped body, image/video types only).
One medium failing (refused, too large, timed out) drops that medium, never the link. The caps
are per process: a worker process runs many jobs in threads and they share its limits; several
worker processes each get their own (a platform sees at most processes x cap).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from backend.errors import APIError
from backend.integrations.safefetch import fetch
from backend.links import settings
from backend.links.models import Platform

log = logging.getLogger(__name__)
MEDIA_TYPES = ("image/*", "video/*")
PER_HOST = frozenset({Platform.BLOG, Platform.GENERIC})


@dataclass
class Downloaded:
    """A medium's bytes and identity (content hash = sha256 of the bytes)."""

    url: str
    mime_type: str
    data: bytes

    @property
    def content_hash(self) -> str:
        """SHA-256 hex of the bytes: identical media share one analysis."""
        return hashlib.sha256(self.data).hexdigest()

    def describe(self) -> dict[str, Any]:
        """What the link keeps about it."""
        return {"url": self.url, "content_hash": self.content_hash, "mime_type": self.mime_type,
                "bytes": len(self.data)}


class PlatformGate:
    """At most `concurrency` downloads at once and one start per 1/rate seconds, for one platform."""

    def __init__(self, concurrency: int, rate: float):
        """Limits of one platform in this process."""
        self.slots = threading.BoundedSemaphore(max(1, concurrency))
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._lock = threading.Lock()
        self._next = 0.0

    def __enter__(self) -> PlatformGate:
        """Take a slot, then wait for this platform's next start time."""
        self.slots.acquire()
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)
        return self

    def __exit__(self, *exc: Any) -> None:
        """Give the slot back."""
        self.slots.release()


_GATES: dict[tuple[str, int, float], PlatformGate] = {}
_GATES_LOCK = threading.Lock()


def gate(platform: str, url: str) -> PlatformGate:
    """The process-wide gate for a medium of a `platform` link under the current settings.

    YouTube, Instagram and TikTok serve their media from their own CDNs: one gate per platform.
    Blogs and generic pages are many unrelated sites: one gate per host.
    """
    scope = platform if platform not in PER_HOST else f"{platform}:{urlsplit(url).hostname}"
    key = (scope, settings.number("LINKS_MEDIA_CONCURRENCY", int), settings.number("LINKS_MEDIA_RATE"))
    with _GATES_LOCK:
        if key not in _GATES:
            _GATES[key] = PlatformGate(key[1], key[2])
        return _GATES[key]


def _one(url: str, platform: str, max_bytes: int, deadline: float, loopback: bool) -> Downloaded | None:
    try:
        with gate(platform, url):
            result = fetch(url, max_bytes=max_bytes, deadline=deadline, allowed_types=MEDIA_TYPES,
                           allow_loopback_for_tests=loopback)
    except APIError as exc:  # FetchRefused / FetchFailed: this medium is skipped, the link goes on
        log.info("links: medium skipped (%s): %s", exc.code, url[:200])
        return None
    return Downloaded(result.final_url, result.content_type, result.body)


def download_all(urls: list[str], platform: str, *, parallel: bool = True) -> list[Downloaded]:
    """Download `urls` (in parallel unless told otherwise), in their order, without the failures."""
    if not urls:
        return []
    args = (platform, settings.number("LINKS_MEDIA_MAX_BYTES", int), settings.number("LINKS_MEDIA_DEADLINE"),
            settings.loopback_allowed())
    app = current_app._get_current_object()

    def task(url: str) -> Downloaded | None:
        with app.app_context():  # fetch reads TESTING and SAFE_FETCH_* from the app config
            return _one(url, *args)

    if not parallel or len(urls) == 1:
        found = [task(u) for u in urls]
    else:
        workers = min(len(urls), settings.number("LINKS_MEDIA_CONCURRENCY", int))
        with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="links-media") as pool:
            found = list(pool.map(task, urls))
    return [d for d in found if d is not None]
