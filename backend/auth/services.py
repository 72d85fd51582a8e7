"""Accounts and tokens: Argon2id hashes, opaque random tokens stored as SHA-256, one-query auth.

Auth knows nothing of other domains: a domain that keeps a profile per account (CooCook's chef
profile) declares a `user_created` hook, run inside the same transaction as the new account, and
an `actor_profile` hook that adds its fields to `/auth/me`.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from backend.auth.actor_cache import revoked
from backend.auth.emails import InvalidEmail, lookup_email, normalise_email
from backend.auth.models import AuthToken, User
from backend.auth.passwords import check_password, hash_password, verify_password
from backend.auth.tokens import issue_token, unauthorized
from backend.common.actor import ROLES, Actor, Role
from backend.common.domain import hooks
from backend.common.events import publish
from backend.database import write_transaction
from backend.errors import Conflict, ValidationFailed
from backend.extensions import db


def actor_dict(actor: Actor) -> dict:
    """The public view of the signed-in account, with the fields domains add (e.g. chef_id)."""
    view: dict[str, Any] = {"id": actor.id, "email": actor.email, "name": actor.name, "role": str(actor.role)}
    for contribute in hooks(current_app, "actor_profile"):
        view.update(contribute(actor))
    return view


def create_user(email: str, password: str, name: str, role: str = Role.USER, profile: dict | None = None) -> dict:
    """Create an account in one transaction with whatever `user_created` hooks add; 409 on a taken email.

    The email is normalised (auth.emails) so look-alike spellings of a taken address are a 409; the
    password must pass the policy (auth.passwords). `profile` is passed to the hooks (e.g. a chef's
    cuisine and price for CooCook's profile).
    """
    if role not in ROLES:
        raise ValidationFailed("invalid role", {"fields": {"role": f"must be one of {', '.join(ROLES)}"}})
    try:
        email = normalise_email(email)
    except InvalidEmail as exc:
        raise ValidationFailed("request body is invalid", {"location": "body", "fields": {"email": str(exc)}},
                               code="invalid_email") from None
    check_password(password, email)
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


def login(email: str, password: str) -> dict:
    """Verify credentials and issue a token; the same 401 (and time) for an unknown email and a wrong password."""
    canonical = lookup_email(email)
    row = None
    if canonical is not None:
        row = db.session.execute(select(User.id, User.password_hash).where(User.email == canonical)).first()
    if not verify_password(row.password_hash if row else None, password):
        raise unauthorized("invalid email or password", "invalid_credentials")
    return issue_token(row.id)


def change_password(actor: Actor, current_password: str, new_password: str, keep_token_digest: str) -> None:
    """Set a new password after checking the current one; every other token of the account is revoked.

    The token `keep_token_digest` (the one this request used) stays valid, so the client that
    changed the password stays signed in.
    """
    stored = db.session.execute(select(User.password_hash).where(User.id == actor.id)).scalar()
    if not verify_password(stored, current_password):
        raise ValidationFailed("request body is invalid", {"location": "body", "fields": {
            "current_password": "is not the account's current password"}}, code="invalid_current_password")
    check_password(new_password, actor.email, field="new_password")
    if new_password == current_password:
        raise ValidationFailed("request body is invalid", {"location": "body", "fields": {
            "new_password": "must differ from the current password"}})
    password_hash = hash_password(new_password)
    with write_transaction(db.session) as session:
        session.execute(update(User).where(User.id == actor.id).values(password_hash=password_hash))
        session.execute(delete(AuthToken).where(AuthToken.user_id == actor.id,
                                                AuthToken.token_hash != keep_token_digest))
    revoked()  # the other tokens stop working in every worker now, not when their cached checks age out
    publish("password_changed", user_id=actor.id)
