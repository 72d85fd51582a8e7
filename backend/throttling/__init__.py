"""Throttling: a flood slows the attacker, not everyone else.

- `wsgi.ClientLimit`: the default limit per client, as WSGI middleware in front of everything
  (the L1 cache answers repeat GETs before Flask, so a Flask hook would never see those hits).
  The client is the bearer token's (or X-API-Key's) holder when one is sent (keyed on a hash of it: no
  database statement per request), else the IP; a per-IP ceiling above it stops an attacker from
  minting a fresh bucket per request with random tokens.
- `routes`: stricter Flask-Limiter limits on login and registration, per IP and per account.
- Behind a proxy the IP comes from `TRUSTED_PROXY_HOPS` trusted X-Forwarded-For hops (ProxyFix),
  never from an untrusted header.
- Storage: Redis when REDIS_URL is set (shared by every worker and host), else each worker's
  memory: the effective limit per host is then the limit times the workers (2 by default).
  The middleware counts Redis in batches (`counters.SharedWindows`): no request waits on Redis,
  and past the limit each worker may admit the requests it answers in one flush interval (5 ms)
  plus one before it sees the shared total spent: a slightly soft limit.
  Redis down: the worker's own counts take over (fail open to a per-worker limit), never a 500.
"""

from backend.throttling.extension import Throttling, limit_login, limit_register

__all__ = ["Throttling", "limit_login", "limit_register"]
