"""Accounts and tokens: Argon2id hashes, opaque random tokens stored as SHA-256, one-query auth.

Auth knows nothing of other domains: a domain that keeps a profile per account (CooCook's chef
profile) declares a `user_created` hook, run inside the same transaction as the new account, and
an `actor_profile` hook that adds its fields to `/auth/me`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, request
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from backend.auth.models import AuthToken, User
from backend.common.actor import ROLES, Actor, Role
from backend.common.domain import hooks
from backend.database import write_transaction
from backend.errors import Conflict, Forbidden, Unauthorized, ValidationFailed
from backend.extensions import db

# Verifying against this keeps a login for an unknown email as slow as one for a known email.
_DUMMY_HASH: dict[tuple, str] = {}


def password_hasher() -> PasswordHasher:
    """The app's Argon2id hasher (cost from config; tests use a cheap one)."""
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"],
                          parallelism=cfg["ARGON2_PARALLELISM"])


def hash_password(password: str) -> str:
    """Argon2id hash of `password`."""
    return password_hasher().hash(password)


def hash_token(token: str) -> str:
    """SHA-256 hex digest: tokens are 256-bit random, so a fast hash is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


def actor_dict(actor: Actor) -> dict:
    """The public view of the signed-in account, with the fields domains add (e.g. chef_id)."""
    view: dict[str, Any] = {"id": actor.id, "email": actor.email, "name": actor.name, "role": str(actor.role)}
    for contribute in hooks(current_app, "actor_profile"):
        view.update(contribute(actor))
    return view


def create_user(email: str, password: str, name: str, role: str = Role.USER, profile: dict | None = None) -> dict:
    """Create an account in one transaction with whatever `user_created` hooks add; 409 on a taken email.

    `profile` is passed to the hooks (e.g. a chef's cuisine and price for CooCook's profile).
    """
    if role not in ROLES:
        raise ValidationFailed("invalid role", {"fields": {"role": f"must be one of {', '.join(ROLES)}"}})
    email = email.strip().lower()
    password_hash = hash_password(password)  # slow on purpose: do it before taking the write lock
    try:
        with write_transaction(db.session) as session:
            user_id = session.execute(insert(User).values(
                email=email, password_hash=password_hash, name=name, role=str(role)).returning(User.id)).scalar_one()
            user = {"id": user_id, "email": email, "name": name, "role": str(role)}
            actor = Actor(user_id, Role(role), email, name)
            added = [hook(session, actor, profile or {}) for hook in hooks(current_app, "user_created")]
    except IntegrityError:
        raise Conflict("email already registered", {"fields": {"email": "already registered"}},
                       code="email_taken") from None
    for extra in added:  # each hook returns (fields for the response, its after-commit callback)
        fields, after_commit = extra
        user.update(fields)
        if after_commit is not None:
            after_commit()
    return user


def issue_token(user_id: int) -> dict:
    """Create a bearer token for `user_id`; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    expires = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=current_app.config["TOKEN_TTL_HOURS"])
    with write_transaction(db.session) as session:
        session.execute(insert(AuthToken).values(user_id=user_id, token_hash=hash_token(token), expires_at=expires))
    return {"token": token, "token_type": "Bearer", "expires_at": expires.isoformat() + "Z"}


def login(email: str, password: str) -> dict:
    """Verify credentials and issue a token; the same 401 for an unknown email and a wrong password."""
    row = db.session.execute(select(User.id, User.password_hash)
                             .where(User.email == email.strip().lower())).first()
    hasher = password_hasher()
    if row is None:
        key = (hasher.time_cost, hasher.memory_cost)
        if key not in _DUMMY_HASH:
            _DUMMY_HASH[key] = hasher.hash(secrets.token_hex(8))
        stored, user_id = _DUMMY_HASH[key], None
    else:
        stored, user_id = row.password_hash, row.id
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        user_id = None
    if user_id is None:
        raise Unauthorized("invalid email or password", code="invalid_credentials")
    return issue_token(user_id)


def actor_for_token(token: str) -> Actor | None:
    """The Actor of a live token, in one statement; None if unknown or expired."""
    digest = hash_token(token)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    row = db.session.execute(
        select(User.id, User.email, User.name, User.role, AuthToken.token_hash)
        .join(AuthToken, AuthToken.user_id == User.id)
        .where(AuthToken.token_hash == digest, AuthToken.expires_at > now)).first()
    # The lookup is by digest; compare again in constant time so no timing depends on the match.
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return Actor(row.id, Role(row.role), row.email, row.name)


def require_user(roles: Iterable[str]) -> Actor:
    """The signed-in actor of this request, or 401 (no/bad token) / 403 (role not allowed).

    Installed as the app's authenticator (common.actor), which is how `api_route` reaches it.
    """
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token", code="missing_token")
    actor = actor_for_token(token.strip())
    if actor is None:
        raise Unauthorized("invalid or expired token", code="invalid_token")
    if actor.role not in roles:
        raise Forbidden("your role may not do this")
    return actor
