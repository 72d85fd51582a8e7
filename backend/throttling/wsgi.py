"""The default limit for every request, cache hits included, in front of the whole app."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import orjson
from limits import parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string

from backend.throttling.keys import client_ip, client_key

log = logging.getLogger(__name__)
STORAGE_RETRY_AFTER = 5.0


class ClientLimit:
    """WSGI middleware: `limits` per client key plus a ceiling per IP; a 429 in the house shape.

    Fixed windows (one counter per key and window: the cheapest strategy; a moving window's cost
    grows with the limit). Every response gets X-RateLimit-Limit/-Remaining/-Reset for the
    client's limit unless the app already set them (login's stricter limit does).
    """

    def __init__(self, wsgi_app: Callable, per_client: str, per_ip: str, storage_uri: str,
                 storage_options: dict, extra_headers: tuple = ()):
        """Parse the limits and open the storage (Redis or memory)."""
        self.wsgi_app = wsgi_app
        self.per_client = parse_many(per_client)
        self.per_ip = parse_many(per_ip)
        self.extra_headers = list(extra_headers)
        self.memory: Storage = MemoryStorage()
        self.shared: Storage = self.memory
        if not storage_uri.startswith("memory"):
            self.shared = storage_from_string(storage_uri, **storage_options)
        self._down_until = 0.0

    def _hit(self, item, key: str, want_reset: bool) -> tuple[bool, int, float]:
        """(allowed, remaining, reset epoch) for one hit of `key` against `item`.

        The storage's counter directly (one INCR with its expiry set on the first hit, which is
        the fixed-window strategy), plus the expiry only when a header or a 429 needs it.
        """
        storage = self.memory if time.monotonic() < self._down_until else self.shared
        name = item.key_for("sf", key)
        try:
            count = storage.incr(name, item.get_expiry())
            reset = storage.get_expiry(name) if want_reset or count > item.amount else 0.0
        except Exception as exc:  # Redis down: this worker's memory until it is back (fail open, bounded)
            log.warning("rate-limit storage unavailable, using per-worker memory: %s", exc)
            self._down_until = time.monotonic() + STORAGE_RETRY_AFTER
            storage = self.memory
            count = storage.incr(name, item.get_expiry())
            reset = storage.get_expiry(name)
        return count <= item.amount, max(0, item.amount - count), reset

    def __call__(self, environ: dict, start_response: Callable):
        """Count the request; answer 429 when a limit is spent, else pass it on with the headers."""
        shown = None
        for items, key in ((self.per_client, client_key(environ)), (self.per_ip, "ipmax:" + client_ip(environ))):
            for item in items:
                allowed, remaining, reset = self._hit(item, key, want_reset=shown is None)
                if not allowed:
                    return self._refuse(start_response, item, reset)
                if shown is None:
                    shown = (item.amount, remaining, reset)
        headers = [("X-RateLimit-Limit", str(shown[0])), ("X-RateLimit-Remaining", str(shown[1])),
                   ("X-RateLimit-Reset", str(int(shown[2])))] if shown else []

        def start(status: str, response_headers: list, exc_info=None):
            present = {name.lower() for name, _ in response_headers}
            response_headers.extend(h for h in headers if h[0].lower() not in present)
            return start_response(status, response_headers, exc_info) if exc_info else \
                start_response(status, response_headers)

        return self.wsgi_app(environ, start)

    def _refuse(self, start_response: Callable, item, reset: float):
        retry_after = max(1, int(reset - time.time() + 0.999))
        body = orjson.dumps({"error": {"code": "rate_limited", "message": f"rate limit exceeded: {item}",
                                       "details": {"limit": str(item), "remaining": 0, "reset": int(reset),
                                                   "retry_after": retry_after}}})
        start_response("429 TOO MANY REQUESTS", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
            ("Retry-After", str(retry_after)), ("X-RateLimit-Limit", str(item.amount)),
            ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", str(int(reset))),
            ("Cache-Control", "no-store"), *self.extra_headers])
        return [body]
