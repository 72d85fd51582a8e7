"""A hard deadline for a `requests` call: at the deadline the call's sockets are shut down.

requests' timeouts apply per socket operation (connect, each read), so a provider that trickles
bytes can hold a call, and the worker, far past any timeout. The pools of a provider's session
hand out connections that register their socket with the current call's `Watch`; a timer
shuts those sockets down when the deadline passes, which makes the blocked read fail at once.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current: contextvars.ContextVar[Watch | None] = contextvars.ContextVar("sf_outbound_watch", default=None)


class Watch:
    """The sockets of one call; `fire()` shuts them down (idempotent, thread-safe)."""

    def __init__(self) -> None:
        """Nothing watched yet."""
        self._connections: list[HTTPConnection] = []
        self._lock = threading.Lock()
        self.fired = False

    def add(self, conn: HTTPConnection) -> None:
        """Watch `conn` for the rest of the call (shut it down now if the deadline already passed)."""
        with self._lock:
            self._connections.append(conn)
            fired = self.fired
        if fired:
            _shutdown(conn)

    def fire(self) -> None:
        """The deadline: shut every watched socket down."""
        with self._lock:
            self.fired = True
            connections = list(self._connections)
        for conn in connections:
            _shutdown(conn)


def _shutdown(conn: HTTPConnection) -> None:
    sock = getattr(conn, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


class _Watched:
    """Mixin: register the connection with the current call's Watch on every request it sends."""

    def request(self, *args, **kwargs):  # noqa: D102 - urllib3's signature
        watch = _current.get()
        if watch is not None:
            watch.add(self)
        return super().request(*args, **kwargs)


class WatchedHTTPConnection(_Watched, HTTPConnection):
    """An HTTP connection the deadline can cut."""


class WatchedHTTPSConnection(_Watched, HTTPSConnection):
    """An HTTPS connection the deadline can cut."""


class WatchedHTTPPool(HTTPConnectionPool):
    """A pool of watched HTTP connections."""

    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSPool(HTTPSConnectionPool):
    """A pool of watched HTTPS connections."""

    ConnectionCls = WatchedHTTPSConnection


POOL_CLASSES = {"http": WatchedHTTPPool, "https": WatchedHTTPSPool}


class deadline:  # noqa: N801 - used like a function: `with deadline(seconds):`
    """Context manager: sockets used inside are shut down `seconds` from now."""

    def __init__(self, seconds: float):
        """Arm a timer for `seconds` (at least 1 ms)."""
        self.watch = Watch()
        self._timer = threading.Timer(max(seconds, 0.001), self.watch.fire)
        self._timer.daemon = True
        self._token: contextvars.Token | None = None

    def __enter__(self) -> Watch:
        """Start watching this call."""
        self._token = _current.set(self.watch)
        self._timer.start()
        return self.watch

    def __exit__(self, *exc) -> None:
        """Stop the timer; the call is over."""
        self._timer.cancel()
        if self._token is not None:
            _current.reset(self._token)
