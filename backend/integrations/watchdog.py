"""A hard deadline for a `requests` call: at the deadline the call's sockets are shut down.

requests' timeouts apply per socket operation (connect, each read), so a provider that trickles
bytes can hold a call, and the worker, far past any timeout. The pools of a provider's session
hand out connections that register themselves, and each socket they open, with the current
call's `Watch`; a timer shuts those sockets down when the deadline passes, which makes the blocked
read fail at once. The socket itself is kept because http.client detaches it from the connection
(`conn.sock = None`) when a response ends with the connection (`Connection: close`, HTTP/1.0):
the response still reads from it, and only the kept reference can cut that read.
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
        self._connections: list[HTTPConnection | socket.socket] = []
        self._lock = threading.Lock()
        self.fired = False

    def add(self, conn: HTTPConnection | socket.socket) -> None:
        """Watch `conn` (or a socket) for the rest of the call (shut it down now if the deadline passed)."""
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


def _shutdown(conn: HTTPConnection | socket.socket) -> None:
    sock = conn if isinstance(conn, socket.socket) else getattr(conn, "sock", None)
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

    def connect(self) -> None:
        """Connect, and watch the new socket itself (it outlives `self.sock` on `Connection: close`)."""
        super().connect()
        watch = _current.get()
        if watch is not None and self.sock is not None:
            watch.add(self.sock)


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
