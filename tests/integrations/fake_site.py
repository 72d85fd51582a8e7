"""A scriptable website on loopback for the safe-fetch tests: real HTTP, routed by path.

`FakeSite(handler)` serves `handler(path, headers) -> Page`; every request is counted and recorded.
A Page may stream its body without a Content-Length (close-delimited) and trickle it.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Page:
    """One response."""

    status: int = 200
    body: bytes = b"<html><head><title>hi</title></head><body>hello</body></html>"
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    length: bool = True  # send Content-Length (else the body ends when the connection closes)
    trickle: float = 0.0  # seconds between single bytes
    delay: float = 0.0  # seconds before the status line


def redirect(location: str, status: int = 302) -> Page:
    """A redirect to `location`."""
    return Page(status=status, body=b"", headers={"Location": location})


class FakeSite:
    """The server; a context manager."""

    def __init__(self, handler: Callable[[str, dict[str, str]], Page] | None = None,
                 tls: ssl.SSLContext | None = None):
        """Serve `handler` (default: one small HTML page) on a free loopback port (https with `tls`)."""
        self.handler = handler or (lambda path, headers: Page())
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.server_names: list[str | None] = []  # SNI of each TLS handshake
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # close-delimited bodies are possible

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                site.requests.append((self.path, dict(self.headers)))
                page = site.handler(self.path, dict(self.headers))
                time.sleep(page.delay)
                self.send_response(page.status)
                for name, value in page.headers.items():
                    self.send_header(name, value)
                if page.length:
                    self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                try:
                    if page.trickle:
                        for i in range(len(page.body)):
                            self.wfile.write(page.body[i:i + 1])
                            self.wfile.flush()
                            time.sleep(page.trickle)
                    else:
                        self.wfile.write(page.body)
                except OSError:
                    pass  # the client cut the connection (its cap or deadline)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def port(self) -> int:
        """The port it listens on."""
        return self.server.server_address[1]

    @property
    def hits(self) -> int:
        """Requests served so far."""
        return len(self.requests)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        """An http URL on this site."""
        return f"http://{host}:{self.port}{path}"

    def __enter__(self) -> FakeSite:
        """The running site."""
        return self

    def __exit__(self, *exc: Any) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
