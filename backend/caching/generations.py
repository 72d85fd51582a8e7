"""Cache generations: one counter per namespace, bumped after a write commits.

Cached responses are keyed by the generations they depend on, so a bump makes every old entry
unreachable at once in every worker. The counters must be shared by all workers (DESIGN rule 7):
in Redis when the cache is Redis, otherwise in a small memory-mapped file under instance/ that
every worker on the host maps (a read is a memory load, a bump is a locked increment).
"""

from __future__ import annotations

import fcntl
import logging
import mmap
import os
import struct
import zlib
from collections.abc import Sequence

import pybreaker

log = logging.getLogger(__name__)

SLOTS = 8192  # namespaces hash into slots; a collision only over-invalidates, never serves stale data
SLOT = struct.Struct("<Q")


class FileGenerations:
    """Generations in a shared memory-mapped file (one host, any number of worker processes)."""

    def __init__(self, path: str):
        """Map (creating if needed) the counters file at `path`."""
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._fd).st_size < SLOTS * SLOT.size:
            os.ftruncate(self._fd, SLOTS * SLOT.size)
        self._map = mmap.mmap(self._fd, SLOTS * SLOT.size)

    @staticmethod
    def _offset(name: str) -> int:
        return (zlib.crc32(name.encode()) % SLOTS) * SLOT.size

    def get(self, names: Sequence[str]) -> tuple[int, ...] | None:
        """Current generations of `names`."""
        return tuple(SLOT.unpack_from(self._map, self._offset(n))[0] for n in names)

    def bump(self, names: Sequence[str]) -> None:
        """Increment each namespace, in the order given, under an exclusive file lock (writers are rare).

        The order matters to `cached_response(rows_guard=...)`: its guard is bumped before the rows.
        """
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            for name in dict.fromkeys(names):
                offset = self._offset(name)
                SLOT.pack_into(self._map, offset, SLOT.unpack_from(self._map, offset)[0] + 1)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


def redis_breaker(reset_seconds: float = 5.0) -> pybreaker.CircuitBreaker:
    """One breaker for a Redis the caches depend on.

    It opens at the first failure, so a dead Redis costs each request a microsecond check, not a
    socket timeout, until `reset_seconds` pass and one trial call is let through (half-open).
    """
    return pybreaker.CircuitBreaker(fail_max=1, reset_timeout=reset_seconds, name="redis-cache")


class RedisGenerations:
    """Generations in Redis (shared by every worker and host); unreachable Redis means 'do not cache'."""

    def __init__(self, client, prefix: str, breaker: pybreaker.CircuitBreaker):
        """Counters live under `<prefix>gen:<namespace>`; `breaker` guards every call."""
        self.client = client
        self.prefix = prefix + "gen:"
        self.breaker = breaker
        self._pending: set[str] = set()  # bumps that failed; retried before this worker reads again

    def get(self, names: Sequence[str]) -> tuple[int, ...] | None:
        """Generations of `names`, or None when Redis is down (the caller then skips the cache)."""
        if self._pending and not self._incr(list(self._pending)):
            return None
        try:
            values = self.breaker.call(self.client.mget, [self.prefix + n for n in names])
        except pybreaker.CircuitBreakerError:
            return None
        except Exception as exc:  # redis.RedisError, OSError: any failure means "no cache"
            log.warning("redis unavailable for cache generations: %s", exc)
            return None
        return tuple(int(v or 0) for v in values)

    def bump(self, names: Sequence[str]) -> None:
        """INCR each namespace in order; on failure keep them pending (other workers' entries expire by TTL)."""
        self._incr(list(dict.fromkeys([*names, *self._pending])))

    def bump_now(self, names: Sequence[str]) -> bool:
        """`bump`, and if the breaker refused or Redis failed, one direct try past the breaker.

        For bumps that must not wait for the breaker's reset (a token revocation): True when Redis
        took them.
        """
        if self._incr(list(dict.fromkeys([*names, *self._pending]))):
            return True
        try:
            pipe = self.client.pipeline(transaction=False)
            for name in dict.fromkeys([*names, *self._pending]):
                pipe.incr(self.prefix + name)
            pipe.execute()
        except Exception as exc:  # Redis really is unreachable: the caller says what that means
            log.warning("redis unavailable for cache generations (direct try): %s", exc)
            return False
        self._pending.clear()
        return True

    def _incr(self, names: Sequence[str]) -> bool:
        def run() -> None:
            pipe = self.client.pipeline(transaction=False)
            for name in names:
                pipe.incr(self.prefix + name)
            pipe.execute()

        try:
            self.breaker.call(run)
        except Exception as exc:  # open breaker or Redis failure: keep the bumps for later
            if not isinstance(exc, pybreaker.CircuitBreakerError):
                log.warning("redis unavailable for cache generations: %s", exc)
            self._pending |= set(names)
            return False
        self._pending -= set(names)
        return True
