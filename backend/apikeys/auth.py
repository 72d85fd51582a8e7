"""`X-API-Key` authentication: one indexed statement per request, scopes enforced like roles.

Installed through `common.actor.set_api_key_authenticator`, so `api_route` reaches it for every
request that sends the header. Rules:

- the key must be well-formed (keys.parse), live (not revoked, not past a rotation's grace) and
  its secret must match in constant time; otherwise 401 `invalid_api_key`;
- the actor is the key's owner with the owner's *current* role: a key never exceeds its owner;
- scopes: admin-only routes need `admin`; otherwise GET/HEAD need `read` and every other method
  `write` (403 `insufficient_scope`);
- account and key management (`/api-keys/*`, state-changing `/auth/*`) need a bearer token: a
  leaked key must not be able to mint keys or change the password (403 `bearer_required`);
- sending both a bearer token and a key is a 401 `ambiguous_credentials`: which one counts must never be a guess.

`last_used_at` is written only when the stored value is older than APIKEY_LAST_USED_SECONDS
(default 60): at most one short conditional UPDATE per key and minute (per worker at worst; the
WHERE makes a second writer's UPDATE a no-op), never a write on every request.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterable

from flask import current_app, g, request
from sqlalchemy import bindparam, or_, select, update

from backend.apikeys import keys
from backend.apikeys.models import ApiKey, Scope
from backend.auth.models import User
from backend.common.actor import API_KEY_HEADER, Actor, Role
from backend.common.models import utcnow
from backend.database import write_transaction
from backend.errors import Forbidden, Unauthorized
from backend.extensions import db

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BEARER_ONLY = ("apikeys.",)  # every key-management endpoint
BEARER_ONLY_WRITES = ("auth.",)  # account changes (logout, password); GET /auth/me is fine with a key

# Built once (no statement construction per request), like auth's token lookup.
_KEYS, _USERS = ApiKey.__table__, User.__table__
ACTOR_FOR_KEY = (
    select(_USERS.c.id, _USERS.c.email, _USERS.c.name, _USERS.c.role, _KEYS.c.id.label("key_id"),
           _KEYS.c.secret_hash, _KEYS.c.scope_read, _KEYS.c.scope_write, _KEYS.c.scope_admin, _KEYS.c.last_used_at)
    .select_from(_KEYS.join(_USERS, _USERS.c.id == _KEYS.c.user_id))
    .where(_KEYS.c.prefix == bindparam("prefix"), _KEYS.c.revoked_at.is_(None),
           or_(_KEYS.c.expires_at.is_(None), _KEYS.c.expires_at > bindparam("now"))))


def invalid_key() -> Unauthorized:
    """The one 401 for every bad key (unknown, malformed, revoked, expired): nothing to tell apart."""
    error = Unauthorized("invalid, revoked or expired API key", code="invalid_api_key")
    error.headers = {"WWW-Authenticate": 'ApiKey header="X-API-Key"'}
    return error


def required_scope(roles: tuple[str, ...], method: str) -> Scope:
    """The scope a request needs: admin for admin-only routes, read for GETs, write otherwise."""
    if roles and set(roles) == {Role.ADMIN.value}:
        return Scope.ADMIN
    return Scope.READ if method in READ_METHODS else Scope.WRITE


def require_key(roles: Iterable[str]) -> Actor:
    """The owner of this request's live API key, allowed one of `roles` and the route's scope."""
    roles = tuple(roles)
    if request.headers.get("Authorization"):
        raise Unauthorized("send either a bearer token or an X-API-Key, not both", code="ambiguous_credentials")
    endpoint = request.endpoint or ""
    if endpoint.startswith(BEARER_ONLY) or (endpoint.startswith(BEARER_ONLY_WRITES)
                                            and request.method not in READ_METHODS):
        raise Forbidden("this operation needs a bearer token, not an API key", code="bearer_required")
    parsed = keys.parse(request.headers.get(API_KEY_HEADER))
    if parsed is None:
        raise invalid_key()
    prefix, secret = parsed
    now = utcnow()
    row = db.session.connection().execute(ACTOR_FOR_KEY, {"prefix": prefix, "now": now}).first()
    if row is None or not hmac.compare_digest(row.secret_hash, keys.hash_secret(secret)):
        raise invalid_key()
    actor = Actor(row.id, Role(row.role), row.email, row.name)
    if actor.role not in roles:
        raise Forbidden("your role may not do this")
    scope = required_scope(roles, request.method)
    if not getattr(row, f"scope_{scope}"):
        raise Forbidden(f"this API key lacks the {scope!r} scope", {"required_scope": str(scope)},
                        code="insufficient_scope")
    g.api_key_id = row.key_id
    _touch(row.key_id, row.last_used_at, now)
    return actor


def _touch(key_id: int, last_used: dt.datetime | None, now: dt.datetime) -> None:
    """Record use when the stored time is older than the configured interval (else no statement)."""
    interval = dt.timedelta(seconds=current_app.config["APIKEY_LAST_USED_SECONDS"])
    if last_used is not None and now - last_used < interval:
        return
    with write_transaction(db.session) as tx:
        tx.execute(update(ApiKey).where(ApiKey.id == key_id,
                                        or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - interval))
                   .values(last_used_at=now))
