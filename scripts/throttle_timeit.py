"""Per-request cost of the throttling middleware in isolation: `ClientLimit` around an empty WSGI app.

    .venv/bin/python -m scripts.throttle_timeit [--redis redis://127.0.0.1:6379/14] [-n 200000]

Prints microseconds per request (best of 5 runs of `-n` calls, each reading and closing the
response as a server does, so the Redis flushes that ride on responses are included) for an
anonymous request (keyed on the IP) and a bearer-token
request (the token's bucket plus the per-IP ceiling), with memory counters and, with `--redis`, with
Redis. Noise-resistant next to `make bench`: no sockets to the app, no database, no wrk.
"""

from __future__ import annotations

import argparse
import timeit

from backend.throttling.wsgi import ClientLimit

HIGH = "10000000 per minute"


def empty_app(environ, start_response):
    """The cheapest WSGI app: what is left is the middleware."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "0")])
    return [b""]


def per_request_us(limit: ClientLimit, environ: dict, number: int) -> float:
    """Best of five runs, microseconds per call."""
    def start_response(status, headers, exc_info=None):
        return None

    def call():
        body = limit(environ, start_response)
        for _ in body:
            pass
        close = getattr(body, "close", None)
        if close is not None:
            close()

    return min(timeit.repeat(call, number=number, repeat=5)) / number * 1e6


def main() -> None:
    """Measure memory (and Redis when given) for anonymous and token requests."""
    ap = argparse.ArgumentParser(prog="python -m scripts.throttle_timeit", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--redis", help="a Redis URL (its database gets sf:rl:* keys that expire within a minute)")
    ap.add_argument("-n", "--number", type=int, default=200_000)
    args = ap.parse_args()
    anonymous = {"REMOTE_ADDR": "10.1.2.3", "REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    token = {**anonymous, "HTTP_AUTHORIZATION": "Bearer abcdefghijklmnopqrstuvwxyz0123456789"}
    stores = [("memory", "memory://", {})]
    if args.redis:
        stores.append(("redis", args.redis, {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}))
    baseline = per_request_us(_Bare(), anonymous, args.number)
    print(f"empty app alone: {baseline:.2f} us")
    for name, uri, options in stores:
        limit = ClientLimit(empty_app, HIGH, HIGH, uri, options)
        for kind, environ in (("anonymous", anonymous), ("token", token)):
            print(f"{name:7s} {kind:9s}: {per_request_us(limit, environ, args.number) - baseline:.2f} us "
                  "per request (middleware only)", flush=True)


class _Bare:
    """The empty app called directly, to subtract the harness's own cost."""

    def __call__(self, environ, start_response):
        return empty_app(environ, start_response)


if __name__ == "__main__":
    main()
