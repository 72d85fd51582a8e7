"""The default limit for every request, cache hits included, in front of the whole app.

Fixed windows aligned to the clock (window = now // period): one counter per client and window,
whose reset time is known without asking the store. Measured (docs/performance.md, "Throttling
cost"): the first version went through the `limits` storage API (a counter, then its expiry: two
Redis round trips per limit, plus a second limit per request) and cost a quarter of a cached hit's
throughput in memory and half of it with Redis; counting here is one dict update in memory and
one pipelined round trip to Redis.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import orjson
from limits import parse_many

from backend.throttling.keys import client_ip, client_key

log = logging.getLogger(__name__)
STORAGE_RETRY_AFTER = 5.0
PRUNE_AT = 50_000  # counters kept in memory before the finished windows are dropped


class MemoryWindows:
    """Per-process fixed-window counters."""

    def __init__(self) -> None:
        """No counters yet."""
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def incr(self, names: list[str], now_window: int) -> list[int]:
        """Add one to each counter; returns the new values."""
        with self._lock:
            if len(self._counts) > PRUNE_AT:  # drop every counter of an earlier window
                suffix = f":{now_window}"
                self._counts = {k: v for k, v in self._counts.items() if k.endswith(suffix)}
            values = []
            for name in names:
                value = self._counts.get(name, 0) + 1
                self._counts[name] = value
                values.append(value)
            return values


class RedisWindows:
    """The same counters in Redis, shared by every worker and host: one pipelined round trip."""

    def __init__(self, url: str, options: dict, prefix: str):
        """Connect lazily with short timeouts (a slow Redis must not hold a request)."""
        import redis

        self.client = redis.Redis.from_url(url, **options)
        self.prefix = prefix

    def incr(self, names: list[str], expires: list[int]) -> list[int]:
        """INCR each counter and make sure it expires after its window; returns the new values."""
        pipe = self.client.pipeline(transaction=False)
        for name, seconds in zip(names, expires, strict=True):
            pipe.incr(self.prefix + name)
            pipe.expire(self.prefix + name, seconds)
        return pipe.execute()[::2]


class ClientLimit:
    """WSGI middleware: a limit per client (token holder, else IP) and a ceiling per IP.

    A request without a token is keyed on its IP already, so it counts against the client limit
    only (the ceiling is higher). Every response gets X-RateLimit-Limit/-Remaining/-Reset for the
    client's limit unless the app already set them (login's stricter limit does); past a limit the
    answer is a 429 in the house error shape.
    """

    def __init__(self, wsgi_app: Callable, per_client: str, per_ip: str, storage_uri: str,
                 storage_options: dict, extra_headers: tuple = ()):
        """Parse the limits and open the store (Redis, or this process's memory)."""
        self.wsgi_app = wsgi_app
        self.per_client = parse_many(per_client)
        self.per_ip = parse_many(per_ip)
        self.extra_headers = list(extra_headers)
        self.memory = MemoryWindows()
        self.redis = None if storage_uri.startswith("memory") else RedisWindows(storage_uri, storage_options, "sf:rl:")
        self._down_until = 0.0

    def _counts(self, names: list[str], periods: list[int], windows: list[int]) -> list[int]:
        if self.redis is not None and time.monotonic() >= self._down_until:
            try:
                return self.redis.incr(names, [p + 1 for p in periods])
            except Exception as exc:  # Redis down: this worker's memory until it is back (fail open, bounded)
                log.warning("rate-limit storage unavailable, using per-worker memory: %s", exc)
                self._down_until = time.monotonic() + STORAGE_RETRY_AFTER
        return self.memory.incr(names, windows[0] if windows else 0)

    def __call__(self, environ: dict, start_response: Callable):
        """Count the request; answer 429 when a limit is spent, else pass it on with the headers."""
        key = client_key(environ)
        checks = [(item, key) for item in self.per_client]
        if not key.startswith("ip:"):
            checks += [(item, "ipmax:" + client_ip(environ)) for item in self.per_ip]
        now = time.time()
        periods = [item.get_expiry() for item, _ in checks]
        windows = [int(now // period) for period in periods]
        names = [f"{item.amount}/{period}:{who}:{window}"
                 for (item, who), period, window in zip(checks, periods, windows, strict=True)]
        counts = self._counts(names, periods, windows)
        for (item, _), period, window, count in zip(checks, periods, windows, counts, strict=True):
            if count > item.amount:
                return self._refuse(start_response, item, (window + 1) * period, now)
        first = checks[0][0]
        headers = [("X-RateLimit-Limit", str(first.amount)),
                   ("X-RateLimit-Remaining", str(max(0, first.amount - counts[0]))),
                   ("X-RateLimit-Reset", str((windows[0] + 1) * periods[0]))]

        def start(status: str, response_headers: list, exc_info=None):
            present = {name.lower() for name, _ in response_headers}
            response_headers.extend(h for h in headers if h[0].lower() not in present)
            return start_response(status, response_headers, exc_info) if exc_info else \
                start_response(status, response_headers)

        return self.wsgi_app(environ, start)

    def _refuse(self, start_response: Callable, item, reset: int, now: float):
        retry_after = max(1, int(reset - now + 0.999))
        body = orjson.dumps({"error": {"code": "rate_limited", "message": f"rate limit exceeded: {item}",
                                       "details": {"limit": str(item), "remaining": 0, "reset": reset,
                                                   "retry_after": retry_after}}})
        start_response("429 TOO MANY REQUESTS", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
            ("Retry-After", str(retry_after)), ("X-RateLimit-Limit", str(item.amount)),
            ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", str(reset)),
            ("Cache-Control", "no-store"), *self.extra_headers])
        return [body]
