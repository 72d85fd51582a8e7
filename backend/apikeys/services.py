"""API keys as their owner manages them: create (shown once), list, show, rotate, revoke.

Every statement is bound to the actor's user id: someone else's key is a 404 like a missing one.
Rotation and revocation notify the owner through `api_key_changed` events published after the
commit (the notifications domain turns them into notifications).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, func, insert, or_, select, update

from backend.apikeys import keys
from backend.apikeys.models import ApiKey, Scope
from backend.common.actor import Actor
from backend.common.events import publish
from backend.common.models import utcnow
from backend.common.pagination import cursor_id, decode_cursor, encode_cursor, envelope
from backend.database import write_transaction
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.extensions import db

COLUMNS = (ApiKey.id, ApiKey.name, ApiKey.prefix, ApiKey.scope_read, ApiKey.scope_write, ApiKey.scope_admin,
           ApiKey.created_at, ApiKey.last_used_at, ApiKey.expires_at)


def _live(now: dt.datetime):
    return (ApiKey.revoked_at.is_(None), or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now))


def item(row: Any) -> dict[str, Any]:
    """A key as its owner sees it (never the secret, never its hash)."""
    scopes = [str(s) for s in Scope if getattr(row, f"scope_{s}")]
    return {"id": row.id, "name": row.name, "prefix": row.prefix, "scopes": scopes, "created_at": row.created_at,
            "last_used_at": row.last_used_at, "expires_at": row.expires_at}


def _check_scopes(actor: Actor, scopes: list[str]) -> dict[str, bool]:
    if Scope.ADMIN in scopes and not actor.is_admin:
        raise ValidationFailed("only administrators may create keys with the admin scope",
                               {"location": "body", "fields": {"scopes": "admin needs an admin account"}})
    return {f"scope_{s}": s in scopes for s in Scope}


def _insert(tx, user_id: int, name: str, flags: dict[str, bool], now: dt.datetime) -> tuple[str, Any]:
    full, prefix, digest = keys.generate()
    key_id = tx.execute(insert(ApiKey).values(user_id=user_id, name=name, prefix=prefix, secret_hash=digest,
                                              created_at=now, **flags).returning(ApiKey.id)).scalar_one()
    return full, tx.execute(select(*COLUMNS).where(ApiKey.id == key_id)).one()


def create_key(actor: Actor, name: str, scopes: list[str]) -> dict[str, Any]:
    """A new key for the actor; the full key is in this answer only (409 past APIKEY_MAX_PER_USER live keys)."""
    flags = _check_scopes(actor, scopes)
    now = utcnow()
    limit = current_app.config["APIKEY_MAX_PER_USER"]
    with write_transaction(db.session) as tx:
        live = tx.execute(select(func.count()).select_from(ApiKey)
                          .where(ApiKey.user_id == actor.id, *_live(now))).scalar_one()
        if live >= limit:
            raise Conflict(f"at most {limit} live API keys per account; revoke one first", {"limit": limit},
                           code="too_many_keys")
        full, row = _insert(tx, actor.id, name, flags, now)
    return {**item(row), "key": full}


# Built once (bindparams) and run as Core on the session's connection (no ORM execute round).
_K = ApiKey.__table__.c
_LIVE = (_K.user_id == bindparam("owner"), _K.revoked_at.is_(None),
         or_(_K.expires_at.is_(None), _K.expires_at > bindparam("now")))
_PAGE = select(*[_K[c.key] for c in COLUMNS]).where(*_LIVE)
LIST_PAGE = {False: _PAGE.order_by(_K.id.desc()).limit(bindparam("limit")),
             True: _PAGE.where(_K.id < bindparam("before")).order_by(_K.id.desc()).limit(bindparam("limit"))}
LIST_COUNT = select(func.count()).select_from(ApiKey.__table__).where(*_LIVE)


def list_keys(actor: Actor, per_page: int, cursor: str | None) -> dict[str, Any]:
    """The actor's live keys, newest first (keyset pages on the (user_id, id) index); two statements."""
    params: dict[str, Any] = {"owner": actor.id, "now": utcnow(), "limit": per_page + 1}
    if cursor:
        (params["before"],) = decode_cursor(cursor, "api_keys", [cursor_id])
    conn = db.session.connection()
    rows = conn.execute(LIST_PAGE[bool(cursor)], params).all()
    total = conn.execute(LIST_COUNT, params).scalar_one()
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        next_cursor = encode_cursor("api_keys", [rows[-1].id])
    return envelope([item(r) for r in rows], None, per_page, total, next_cursor)


def get_key(actor: Actor, key_id: int) -> dict[str, Any]:
    """One live key of the actor (404 otherwise)."""
    row = db.session.execute(select(*COLUMNS).where(ApiKey.id == key_id, ApiKey.user_id == actor.id,
                                                    *_live(utcnow()))).first()
    if row is None:
        raise NotFound("API key not found", code="api_key_not_found")
    return item(row)


def rotate_key(actor: Actor, key_id: int) -> dict[str, Any]:
    """Issue a replacement (same name and scopes); the old key works until the grace period ends.

    A key already rotated (in its grace period) is a 409: rotate its replacement instead. Scopes
    are re-checked against the owner's current role (an admin demoted since keeps no admin scope).
    """
    now = utcnow()
    grace = dt.timedelta(seconds=current_app.config["APIKEY_ROTATE_GRACE_SECONDS"])
    with write_transaction(db.session) as tx:
        old = tx.execute(select(ApiKey.name, ApiKey.expires_at, ApiKey.scope_read, ApiKey.scope_write,
                                ApiKey.scope_admin, ApiKey.prefix)
                         .where(ApiKey.id == key_id, ApiKey.user_id == actor.id, *_live(now))).first()
        if old is None:
            raise NotFound("API key not found", code="api_key_not_found")
        ends = now + grace
        # Conditional on "not rotated yet": of two concurrent rotations (PostgreSQL re-checks the
        # WHERE after the first commits) only one issues a replacement; the other is a 409.
        first = update(ApiKey).where(ApiKey.id == key_id, ApiKey.expires_at.is_(None)).values(expires_at=ends)
        if old.expires_at is not None or not tx.execute(first).rowcount:
            raise Conflict("this key was already rotated; rotate its replacement", code="already_rotated")
        flags = {"scope_read": old.scope_read, "scope_write": old.scope_write,
                 "scope_admin": old.scope_admin and actor.is_admin}
        full, row = _insert(tx, actor.id, old.name, flags, now)
        tx.execute(update(ApiKey).where(ApiKey.id == key_id).values(replaced_by_id=row.id))
    publish("api_key_changed", user_id=actor.id, key_id=key_id, prefix=old.prefix, key_name=old.name,
            action="rotated", new_key_id=row.id, new_prefix=row.prefix, grace_until=ends.isoformat() + "Z")
    return {**item(row), "key": full, "replaces": {"id": key_id, "prefix": old.prefix, "expires_at": ends}}


def revoke_key(actor: Actor, key_id: int) -> None:
    """Revoke one of the actor's live keys at once (404 for anyone else's, or one already gone)."""
    now = utcnow()
    with write_transaction(db.session) as tx:
        row = tx.execute(select(ApiKey.prefix, ApiKey.name)
                         .where(ApiKey.id == key_id, ApiKey.user_id == actor.id, *_live(now))).first()
        if row is None:
            raise NotFound("API key not found", code="api_key_not_found")
        tx.execute(update(ApiKey).where(ApiKey.id == key_id).values(revoked_at=now))
    publish("api_key_changed", user_id=actor.id, key_id=key_id, prefix=row.prefix, key_name=row.name, action="revoked")
