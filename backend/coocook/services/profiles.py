"""A chef account's profile: created with the account, and shown on `/auth/me` as `chef_id`.

These are CooCook's hooks into the auth domain (declared in backend/coocook/__init__.py), so
auth never imports CooCook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select

from backend.caching import invalidate
from backend.common.actor import Actor, Role
from backend.coocook.models import Chef
from backend.extensions import db

PROFILE_DEFAULTS = {"bio": "", "cuisine_type": "general", "location": "unknown", "price_per_session": 100.0}
PROFILE_FIELDS = ("bio", "cuisine_type", "location", "price_per_session")


def create_chef_profile(session: Any, actor: Actor, options: dict) -> tuple[dict, Callable[[], None] | None]:
    """Inside the new account's transaction: a chef account gets its chef profile.

    Returns the fields to add to the created user (`chef_id`) and what to run after the commit.
    """
    if actor.role != Role.CHEF:
        return {"chef_id": None}, None
    values = {**PROFILE_DEFAULTS, **{k: v for k, v in options.items() if k in PROFILE_FIELDS}}
    chef_id = session.execute(insert(Chef).values(user_id=actor.id, name=actor.name, **values)
                              .returning(Chef.id)).scalar_one()
    return {"chef_id": chef_id}, lambda: invalidate("chefs")


def actor_chef_id(actor: Actor) -> dict:
    """`{"chef_id": ...}` for `/auth/me` (None for accounts without a chef profile)."""
    if actor.role != Role.CHEF:
        return {"chef_id": None}
    return {"chef_id": db.session.execute(select(Chef.id).where(Chef.user_id == actor.id)).scalar()}
