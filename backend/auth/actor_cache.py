"""Bearer-token checks remembered per worker for a few seconds: the cheaper token check (issue 6 §6).

Every signed-in request used to look its token up in the database: one statement (on SQLite a
BEGIN, the SELECT and a ROLLBACK on the session's connection; on PostgreSQL a round trip) before
the view did anything. A worker now keeps the Actor of a token it has just checked, for at most
AUTH_TOKEN_CACHE_SECONDS and never past the token's own expiry, in a bounded map keyed by the
token's SHA-256 digest (never the token).

Revocation stays immediate: logout and a password change bump the shared generation GENERATION
after their commit (the mmap file every worker of a host maps, or Redis across hosts, as the
response cache does), and an entry is used only while the generation is the one read *before* its
database lookup, so a revocation that commits during a lookup is never cached over. When the
generation cannot be read (Redis down) the cache is bypassed: the database answers, as before.
What the cache cannot see is a token deleted or expired directly in the database by hand: such a
token keeps working for up to AUTH_TOKEN_CACHE_SECONDS in a worker that had just checked it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from cachetools import TTLCache
from flask import Flask, current_app

from backend.caching import ResponseCaching, invalidate
from backend.common.actor import Actor

log = logging.getLogger(__name__)
GENERATION = "auth:tokens"
KEY = "auth.actor_cache"


class ActorCache:
    """Digest -> (Actor, token expiry, generation) for `seconds`, at most `size` entries (LRU out)."""

    def __init__(self, app: Flask, seconds: float, size: int):
        """An empty cache reading generations from `app`'s response cache."""
        self.app = app
        self._entries: TTLCache[str, tuple[Actor, dt.datetime, tuple[int, ...]]] = TTLCache(maxsize=size,
                                                                                            ttl=seconds)
        self._lock = threading.Lock()  # cachetools maps are not thread-safe (gthread, threaded servers)

    def generation(self) -> tuple[int, ...] | None:
        """The current revocation generation, or None when it cannot be read (then do not cache)."""
        store = self.app.extensions.get(ResponseCaching.key)
        return store.generations.get([GENERATION]) if store is not None else None

    def get(self, digest: str, generation: tuple[int, ...] | None, now: dt.datetime) -> Actor | None:
        """The remembered Actor, if checked under this generation and the token has not expired."""
        if generation is None:
            return None
        with self._lock:
            entry = self._entries.get(digest)
        if entry is None:
            return None
        actor, expires_at, seen = entry
        if seen != generation or now >= expires_at:
            return None
        return actor

    def put(self, digest: str, actor: Actor, expires_at: dt.datetime, generation: tuple[int, ...] | None) -> None:
        """Remember a checked token (under the generation read before the check)."""
        if generation is None:
            return
        with self._lock:
            self._entries[digest] = (actor, expires_at, generation)


def init_actor_cache(app: Flask) -> None:
    """Install the cache when AUTH_TOKEN_CACHE_SECONDS > 0."""
    seconds = float(app.config.get("AUTH_TOKEN_CACHE_SECONDS", 0))
    if seconds > 0:
        app.extensions[KEY] = ActorCache(app, seconds, int(app.config.get("AUTH_TOKEN_CACHE_SIZE", 10_000)))


def actor_cache(app: Flask | None = None) -> ActorCache | None:
    """This app's cache (None when it is off)."""
    return (app or current_app).extensions.get(KEY)


def revoked() -> None:
    """Call after a commit that deleted tokens: every worker stops trusting what it remembered.

    With Redis generations the bump goes past the caches' breaker if it has to (one failure opens
    that breaker for 5 s, and a revocation must not wait for it); if Redis really is unreachable,
    an error says so: other workers reading a Redis that recovers meanwhile could accept the revoked
    token until their entries age out (AUTH_TOKEN_CACHE_SECONDS).
    """
    store = current_app.extensions.get(ResponseCaching.key)
    if store is None:
        return
    bump_now = getattr(store.generations, "bump_now", None)
    if bump_now is None:  # the host's mmap file: always takes the bump
        invalidate(GENERATION)
    elif not bump_now([GENERATION]):
        log.error("token revocation could not reach Redis: other workers may accept the revoked token for up to "
                  "%s s", current_app.config.get("AUTH_TOKEN_CACHE_SECONDS"))
