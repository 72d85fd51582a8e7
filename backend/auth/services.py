"""Accounts and tokens: Argon2id hashes, opaque random tokens stored as SHA-256, one-query auth."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from backend.auth.models import AuthToken, User
from backend.database import write_transaction
from backend.errors import Conflict, Unauthorized, ValidationFailed
from backend.extensions import db

ROLES = ("user", "chef", "admin")
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


def user_dict(row: Any) -> dict:
    """The public view of a user row."""
    return {"id": row.id, "email": row.email, "name": row.name, "role": row.role,
            "chef_id": getattr(row, "chef_id", None)}


def create_user(email: str, password: str, name: str, role: str = "user", chef: dict | None = None) -> dict:
    """Create a user (and, for a chef, their chef profile) in one transaction; 409 on a taken email."""
    from backend.coocook.models import Chef

    if role not in ROLES:
        raise ValidationFailed("invalid role", {"fields": {"role": f"must be one of {', '.join(ROLES)}"}})
    email = email.strip().lower()
    password_hash = hash_password(password)  # slow on purpose: do it before taking the write lock
    try:
        with write_transaction(db.session) as session:
            user_id = session.execute(insert(User).values(
                email=email, password_hash=password_hash, name=name, role=role).returning(User.id)).scalar_one()
            chef_id = None
            if role == "chef":
                profile = {"name": name, "bio": "", "cuisine_type": "general", "location": "unknown",
                           "price_per_session": 100.0, **(chef or {})}
                chef_id = session.execute(insert(Chef).values(user_id=user_id, **profile)
                                          .returning(Chef.id)).scalar_one()
    except IntegrityError:
        raise Conflict("email already registered", {"fields": {"email": "already registered"}},
                       code="email_taken") from None
    if chef_id is not None:
        from backend.common.cache import invalidate

        invalidate("chefs")
    return {"id": user_id, "email": email, "name": name, "role": role, "chef_id": chef_id}


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


def user_for_token(token: str) -> Any:
    """The user row (with chef_id) for a live token, in one statement; None if unknown or expired."""
    from backend.coocook.models import Chef

    digest = hash_token(token)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    row = db.session.execute(
        select(User.id, User.email, User.name, User.role, Chef.id.label("chef_id"), AuthToken.token_hash)
        .join(AuthToken, AuthToken.user_id == User.id)
        .outerjoin(Chef, Chef.user_id == User.id)
        .where(AuthToken.token_hash == digest, AuthToken.expires_at > now)).first()
    # The lookup is by digest; compare again in constant time so no timing depends on the match.
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row
