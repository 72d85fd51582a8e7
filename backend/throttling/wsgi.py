"""The default limit for every request, cache hits included, in front of the whole app.

Fixed windows aligned to the clock (window = now // period): one counter per client and window,
whose reset time is known without asking the store (backend/throttling/counters.py).

Measured (docs/performance.md, "Throttling cost"): going through the `limits` storage API cost a
quarter of a cached hit's throughput in memory and half of it with Redis; one pipelined Redis round
trip per request still cost a third, and a background flush thread's wake-ups cost ~0.3 ms of CPU
each. So memory counting is a dict look-up and a C-level increment, and Redis is counted locally
and flushed after responses, at most once per worker every `RATELIMIT_FLUSH_SECONDS` (5 ms) while
a client is past half a limit, else every 50 ms: no request waits on Redis. The price is a soft
limit with Redis: past the limit each worker may admit the requests it answers in 5 ms plus one,
~25 at ~5,000 requests/s per worker (`counters.SharedWindows` states the bound and its condition).
"""

from __future__ import annotations

from collections.abc import Callable
from time import time

import orjson
from limits import parse_many
from werkzeug.wsgi import ClosingIterator

from backend.observability import signals
from backend.throttling.counters import Limit, MemoryWindows, SharedWindows
from backend.throttling.keys import bearer_token, token_key

# The app's own X-RateLimit-* headers (Flask-Limiter spells them like this): a set look-up per
# response header instead of lower-casing each one, which cost ~1 us on a cached hit's headers.
APP_SET = frozenset(spelling for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
                    for spelling in (name, name.lower(), name.replace("RateLimit", "Ratelimit")))


def _limits(text: str, prefix: str = "") -> list[Limit]:
    return [Limit(item, f"{prefix}{item.amount}/{item.get_expiry()}") for item in parse_many(text)]


class ClientLimit:
    """WSGI middleware: a limit per client (token holder, else IP) and a ceiling per IP.

    The client is `tok:<16 hex of SHA-256 of the token>` with a bearer token (or an X-API-Key: the
    key is hashed the same way, no database look-up), else `ip:<address>`
    (backend/throttling/keys.py). A request without a token is keyed on its IP already,
    so it counts against the client limit only (the ceiling is higher). Every response gets
    X-RateLimit-Limit/-Remaining/-Reset for the client's (first) limit unless the app already set
    them (login's stricter limit does); past a limit the answer is a 429 in the house error shape.
    """

    def __init__(self, wsgi_app: Callable, per_client: str, per_ip: str, storage_uri: str,
                 storage_options: dict, extra_headers: tuple = (), flush_interval: float = 0.005,
                 retry_after: float = 1.0):
        """Parse the limits and open the store (Redis counted in batches, or this process's memory)."""
        self.wsgi_app = wsgi_app
        client, ceiling = _limits(per_client), _limits(per_ip, "ipmax-")  # own Redis keys if the texts match
        self.limits = limits = client + ceiling
        self.n_client, self.n_ceiling = len(client), len(ceiling)
        # anonymous requests count against the client limits only; token requests, the ceiling too
        self.anonymous, self.with_token = tuple(range(len(client))), tuple(range(len(limits)))
        self.extra_headers = list(extra_headers)
        self.shared = None if storage_uri.startswith("memory") else \
            SharedWindows(limits, storage_uri, storage_options, "sf:rl:", flush_interval, retry_after)
        self.store = self.shared or MemoryWindows(limits)

    def __call__(self, environ: dict, start_response: Callable):
        """Count the request; answer 429 when a limit is spent, else pass it on with the headers."""
        now = time()
        token = bearer_token(environ.get("HTTP_AUTHORIZATION")) or environ.get("HTTP_X_API_KEY")
        if token is None:
            slots, whos = self.anonymous, ("ip:" + (environ.get("REMOTE_ADDR") or "unknown"),)
        else:
            slots = self.with_token
            whos = (token_key(token),) * self.n_client + ("ip:" + (environ.get("REMOTE_ADDR") or "unknown"),) * \
                self.n_ceiling
        counts = self.store.hit_many(slots, whos, now)
        limits = self.limits
        for slot, (count, end) in zip(slots, counts, strict=True):
            if count > limits[slot].amount:
                signals.rate_limited("client" if slot < self.n_client else "ip")
                return self._after(self._refuse(start_response, limits[slot], end, now), now)
        first, (count, end) = limits[0], counts[0]
        headers = [("X-RateLimit-Limit", first.amount_text),
                   ("X-RateLimit-Remaining", str(first.amount - count) if count < first.amount else "0"),
                   ("X-RateLimit-Reset", str(end))]

        def start(status: str, response_headers: list, exc_info=None):
            for name, _ in response_headers:
                if name in APP_SET:  # login's stricter limit (Flask-Limiter): keep the app's headers
                    present = {name.lower() for name, _ in response_headers}
                    response_headers.extend(h for h in headers if h[0].lower() not in present)
                    break
            else:
                response_headers.extend(headers)
            return start_response(status, response_headers, exc_info) if exc_info else \
                start_response(status, response_headers)

        return self._after(self.wsgi_app(environ, start), now)

    def _after(self, body, now: float):
        """The response; when a Redis flush is due, one that flushes once it has been sent."""
        if self.shared is None or now < self.shared.next_flush:
            return body
        return ClosingIterator(body, self.shared.flush)

    def _refuse(self, start_response: Callable, limit: Limit, reset: int, now: float):
        retry_after = max(1, int(reset - now + 0.999))
        body = orjson.dumps({"error": {"code": "rate_limited", "message": f"rate limit exceeded: {limit.text}",
                                       "details": {"limit": limit.text, "remaining": 0, "reset": reset,
                                                   "retry_after": retry_after}}})
        start_response("429 TOO MANY REQUESTS", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
            ("Retry-After", str(retry_after)), ("X-RateLimit-Limit", limit.amount_text),
            ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", str(reset)),
            ("Cache-Control", "no-store"), *self.extra_headers])
        return [body]

    def flush(self) -> None:
        """Send the unflushed Redis counts now if due (tests and tools; responses do it otherwise)."""
        if self.shared is not None:
            self.shared.flush()

