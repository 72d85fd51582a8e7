"""Seed data of API keys: a few keys of the demo user, so its key list has rows at every scale.

The secrets are random and recorded nowhere (only their hashes are stored, as for real keys): the
seeded keys can be listed, rotated and revoked, never used. A working key is made with
`POST /api/v1/api-keys`, which shows it once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.apikeys import keys
from backend.apikeys.models import ApiKey

DEMO_KEYS = (("ci-reader", True, False), ("deploy-bot", True, True), ("reporting", True, False))


def seed_apikeys(ctx: Any) -> tuple[str, ...]:
    """The demo user's three keys (read, read+write, read)."""
    demo = ctx.shared["demo"]["user"]
    rows = []
    for i, (name, read, write) in enumerate(DEMO_KEYS):
        _, prefix, digest = keys.generate()
        rows.append({"user_id": demo, "name": name, "prefix": prefix, "secret_hash": digest, "scope_read": read,
                     "scope_write": write, "scope_admin": False,
                     "created_at": ctx.now - dt.timedelta(days=len(DEMO_KEYS) - i)})
    ctx.insert(ApiKey, rows)
    return ()  # nothing of this domain is in the shared response cache
