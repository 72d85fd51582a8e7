"""Seed data of the auth domain: the README's demo accounts and the generated load-test users."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert

from backend.auth.models import User
from backend.auth.passwords import hash_password
from backend.common.actor import Role
from backend.extensions import db

DEMO_USERS = [
    ("admin@softfactory.dev", "admin-password", "Ada Admin", Role.ADMIN),
    ("chef@softfactory.dev", "chef-password", "Charlie Chef", Role.CHEF),
    ("user@softfactory.dev", "user-password", "Uma User", Role.USER),
]
LOAD_PASSWORD = "load-password"  # every generated user#@load.test account shares it (load tests sign in)


def _users(n: int, start_id: int, password_hash: str, now: dt.datetime):
    for i in range(n):
        uid = start_id + i
        yield {"id": uid, "email": f"user{uid}@load.test", "password_hash": password_hash,
               "name": f"User {uid}", "role": Role.USER.value, "created_at": now - dt.timedelta(minutes=uid)}


def seed_accounts(ctx: Any) -> tuple[str, ...]:
    """Demo accounts (ids 1-3) and `users` generated accounts; shares their ids with later domains.

    `shared["demo"]` maps role -> demo account id; `shared["user_ids"]` holds the ids of every
    account with role user (the generated ones and the demo user).
    """
    demo: dict[str, int] = {}
    for i, (email, password, name, role) in enumerate(DEMO_USERS, start=1):
        db.session.execute(insert(User).values(id=i, email=email, password_hash=hash_password(password), name=name,
                                               role=role.value, created_at=ctx.now))
        demo[role.value] = i
    first = len(DEMO_USERS) + 1
    ctx.insert(User, _users(ctx.sizes["users"], first, hash_password(LOAD_PASSWORD), ctx.now))
    ctx.shared["demo"] = demo
    ctx.shared["user_ids"] = list(range(first, first + ctx.sizes["users"])) + [demo[Role.USER.value]]
    return ()
