"""Single-flight: at most one AI call per unknown name at a time, across every worker of every host.

`single_flight(key, check, call)`:
1. `check()` (the shared store: Redis and the menu_discoveries table); an answer ends it.
2. Take the name's lock: with Redis, `SET <lock> <token> NX PX` (host-wide and cross-host);
   without it (or while Redis fails), an exclusive `flock` on one of 64 stripe files under
   MENU_FLIGHT_DIR (host-wide), plus a thread lock per stripe (flock does not exclude threads).
   A request that finds the lock taken polls every 20 ms for at most MENU_AI_WAIT (default 0: not
   at all), then answers PENDING (identify: 202 `ai_pending`, Retry-After 1) instead of holding one
   of the few sync workers while another request does the work.
3. Holding it, `check()` again (double-checked: the previous holder may have just stored the answer),
   and only then `call()`.
4. A failed call leaves a short failure marker (MENU_AI_FAILURE_TTL) that the requests already
   waiting behind it answer with, instead of each calling a failing provider again. A request
   that arrives after the failure ignores it and calls: failures are not cached.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from flask import current_app

from backend.errors import APIError
from backend.integrations.extension import Integrations
from backend.menu import settings

log = logging.getLogger(__name__)
STRIPES = 256
PENDING = object()  # single_flight's answer when another request holds the name and we may not wait
POLL = 0.02
_THREAD_LOCKS = [threading.Lock() for _ in range(STRIPES)]
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class FlightBusy(APIError):
    """Another request has been discovering this name for longer than we may wait."""

    status = 504
    code = "identify_busy"


class RecentFailure(APIError):
    """The call for this name failed moments ago; its waiters answer with that failure."""

    def __init__(self, failure: dict[str, Any]):
        """Re-raise what the holder met: same status, code and message."""
        super().__init__(failure["message"], failure.get("details") or {}, code=failure["code"])
        self.status = failure["status"]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _redis() -> Any:
    return Integrations.state().redis


def _prefix() -> str:
    return f"{current_app.config.get('CACHE_KEY_PREFIX', 'sf:')}menu:flight:"


def single_flight(key: str, check: Callable[[], Any], call: Callable[[], Any]) -> Any:
    """`check()`'s answer, else `call()`'s, with at most one `call` per key at a time (see module doc).

    Returns PENDING when another request holds the key longer than MENU_AI_WAIT.
    """
    found = check()
    if found is not None:
        return found
    arrived = time.time()
    try:
        with _held(key) as failures:
            return _holding(check, call, failures, arrived)
    except FlightBusy:
        found = check()  # the holder may have finished just now
        return found if found is not None else PENDING


def _holding(check: Callable[[], Any], call: Callable[[], Any], failures: Any, arrived: float) -> Any:
    """Holding the lock: double-check, honour a failure met while we waited, else call."""
    found = check()  # double-checked: the holder before us may have stored it
    if found is not None:
        return found
    failure = failures.get()
    if failure is not None and failure["at"] >= arrived:  # it failed while we waited for it
        raise RecentFailure(failure)
    try:
        return call()
    except APIError as exc:
        failures.put({"status": exc.status, "code": exc.code, "message": exc.message,
                      "details": exc.details, "at": time.time()})
        raise


class _RedisFailures:
    def __init__(self, client: Any, key: str):
        self.client, self.name = client, f"{_prefix()}failed:{_digest(key)}"

    def get(self) -> dict | None:
        try:
            raw = self.client.get(self.name)
        except Exception:  # Redis failing: no marker, the call goes ahead
            return None
        return orjson.loads(raw) if raw else None

    def put(self, failure: dict) -> None:
        try:
            self.client.set(self.name, orjson.dumps(failure), px=int(settings.number("MENU_AI_FAILURE_TTL") * 1000))
        except Exception as exc:
            log.warning("menu single-flight: failure marker not stored: %s", exc)


class _FileFailures:
    """The failure marker lives in the stripe file itself, written while holding its lock."""

    def __init__(self, fd: int, key: str):
        self.fd, self.digest = fd, _digest(key)

    def get(self) -> dict | None:
        os.lseek(self.fd, 0, os.SEEK_SET)
        raw = os.read(self.fd, 65536)
        try:
            marker = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            return None
        if not isinstance(marker, dict) or marker.get("key") != self.digest or marker.get("until", 0) < time.time():
            return None
        return marker["failure"]

    def put(self, failure: dict) -> None:
        data = orjson.dumps({"key": self.digest, "until": time.time() + settings.number("MENU_AI_FAILURE_TTL"),
                             "failure": failure})
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, data, 0)


@contextmanager
def _held(key: str) -> Iterator[Any]:
    """Hold the key's lock (Redis when configured and answering, else the host's stripe file)."""
    client = _redis()
    if client is not None:
        token = secrets.token_hex(8)
        try:
            acquired = _redis_acquire(client, key, token)
        except FlightBusy:
            raise  # someone else holds it: that is an answer, not a Redis failure
        except Exception as exc:  # Redis down: fall back to the host-wide file lock
            log.warning("menu single-flight: Redis unavailable (%s); using the host lock", exc)
        else:
            if acquired:
                try:
                    yield _RedisFailures(client, key)
                finally:
                    try:
                        client.eval(_RELEASE, 1, f"{_prefix()}lock:{_digest(key)}", token)
                    except Exception as exc:  # it expires by itself (PX)
                        log.warning("menu single-flight: lock not released: %s", exc)
                return
    with _file_lock(key) as fd:
        yield _FileFailures(fd, key)


def _redis_acquire(client: Any, key: str, token: str) -> bool:
    """SET NX PX, polling while another holder has it (True once ours); FlightBusy past the wait."""
    name = f"{_prefix()}lock:{_digest(key)}"
    wait = settings.number("MENU_AI_WAIT")
    ttl_ms = 30_000  # outlives the holder's call (its deadline is 20 s), so a live holder is never doubled
    ends = time.monotonic() + wait
    while True:
        if client.set(name, token, nx=True, px=ttl_ms):
            return True
        if time.monotonic() >= ends:
            raise FlightBusy("this menu name is being identified by another request; try again shortly")
        time.sleep(POLL)


@contextmanager
def _file_lock(key: str) -> Iterator[int]:
    """An exclusive flock on the key's stripe file (and its thread lock), polled until MENU_AI_WAIT passes."""
    stripe = int(_digest(key)[:8], 16) % STRIPES
    wait = settings.number("MENU_AI_WAIT")
    ends = time.monotonic() + wait
    thread_lock = _THREAD_LOCKS[stripe]
    if not (thread_lock.acquire(timeout=wait) if wait > 0 else thread_lock.acquire(blocking=False)):
        raise FlightBusy("this menu name is being identified by another request; try again shortly")
    try:
        directory = settings.flight_dir()
        os.makedirs(directory, exist_ok=True)
        fd = os.open(os.path.join(directory, f"{stripe:02d}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= ends:
                        raise FlightBusy("this menu name is being identified by another request; "
                                         "try again shortly") from None
                    time.sleep(POLL)
            try:
                yield fd
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    finally:
        thread_lock.release()
