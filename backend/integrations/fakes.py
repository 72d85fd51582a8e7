"""A fake provider for tests: a real HTTP server on loopback that does what a test scripts.

Real HTTP, not mocks: the client's pools, timeouts, deadline and retries all run for real.
Behaviours are queued per request (`then(...)`), falling back to `default`:
`ok(json)`, `status(code, retry_after=None)`, `slow(seconds)`, `trickle(seconds_per_byte, n)`,
`garbage()`. Every request is recorded (time, method, path, headers, body). `refused_url()` is a
loopback address where nothing listens.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Behaviour = dict[str, Any]


def ok(body: Any = None) -> Behaviour:
    """200 with a JSON body."""
    return {"status": 200, "body": json.dumps({"ok": True} if body is None else body).encode()}


def status(code: int, retry_after: str | float | None = None, body: bytes = b'{"error": "x"}') -> Behaviour:
    """An error status, optionally with Retry-After."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return {"status": code, "body": body, "headers": headers}


def slow(seconds: float, body: Any = None) -> Behaviour:
    """Wait before answering (a slow provider)."""
    return {**ok(body), "delay": seconds}


def trickle(seconds_per_byte: float, size: int = 200) -> Behaviour:
    """Send headers at once, then the body one byte at a time (defeats per-read timeouts)."""
    return {"status": 200, "body": b"x" * size, "trickle": seconds_per_byte}


def garbage() -> Behaviour:
    """200 with a body that is not JSON."""
    return {"status": 200, "body": b"<html>surprise</html>", "headers": {"Content-Type": "text/html"}}


@dataclass
class Recorded:
    """One request as the fake saw it."""

    at: float
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeProvider:
    """The server; use as a context manager or call `close()`."""

    default: Behaviour = field(default_factory=ok)
    queue: deque = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Start serving on a free loopback port."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fake.requests.append(Recorded(time.monotonic(), self.command, self.path, dict(self.headers), body))
                behaviour = fake.queue.popleft() if fake.queue else fake.default
                time.sleep(behaviour.get("delay", 0))
                payload = behaviour.get("body", b"")
                self.send_response(behaviour["status"])
                headers = {"Content-Type": "application/json", **behaviour.get("headers", {})}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                pace = behaviour.get("trickle")
                try:
                    if pace:
                        for i in range(len(payload)):
                            self.wfile.write(payload[i:i + 1])
                            self.wfile.flush()
                            time.sleep(pace)
                    else:
                        self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (its deadline cut the connection)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The base URL to configure."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def then(self, *behaviours: Behaviour) -> FakeProvider:
        """Answer the next requests with `behaviours`, in order."""
        self.queue.extend(behaviours)
        return self

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeProvider:
        """The running fake."""
        return self

    def __exit__(self, *exc: Any) -> None:
        """Stop it."""
        self.close()


def refused_url() -> str:
    """A loopback URL where nothing listens (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
