"""Session sign-in for the operator page: admins only, CSRF-checked forms, a cookie scoped to /admin.

- The cookie is Flask's signed session (SECRET_KEY), named `sf_admin`, Path=/admin, HttpOnly,
  SameSite=Lax, Secure in production (config.py), expiring after ADMIN_SESSION_SECONDS.
- It holds the user id and a fingerprint of the password hash: every page load re-reads the user
  (one primary-key read), so a demoted account, or one whose password changed, is signed out.
- CSRF: Flask-WTF's `generate_csrf`/`validate_csrf` (a random token kept in the session, sent
  signed and time-limited in each form, compared in constant time): a vetted implementation rather
  than a hand-written one, used without CSRFProtect so the bearer-token API is untouched.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import session
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from sqlalchemy import select
from wtforms import ValidationError

from backend.auth.emails import lookup_email
from backend.auth.models import User
from backend.auth.passwords import verify_password
from backend.common.actor import Role
from backend.errors import BadRequest
from backend.extensions import db

__all__ = ["check_csrf", "current_admin", "generate_csrf", "sign_in", "sign_out"]


def _fingerprint(password_hash: str) -> str:
    return hashlib.blake2b(password_hash.encode(), digest_size=12).hexdigest()


def check_csrf(token: Any) -> None:
    """A form's CSRF token must be ours and fresh (else a 400 in the house shape)."""
    try:
        validate_csrf(token if isinstance(token, str) else None)
    except (ValidationError, CSRFError) as exc:
        raise BadRequest("the form's CSRF token is missing or invalid; reload the page", {"location": "form"},
                         code="csrf_failed") from exc


def sign_in(email: str, password: str) -> bool:
    """Start a session for an admin with these credentials; False (same time) for anything else."""
    canonical = lookup_email(email) if email else None
    row = None
    if canonical is not None:
        row = db.session.execute(select(User.id, User.role, User.password_hash).where(User.email == canonical)).first()
    ok = verify_password(row.password_hash if row else None, password or "")
    if not ok or row.role != Role.ADMIN:
        return False
    session.clear()  # a fresh session: no fixation of a cookie set before signing in
    session.permanent = True
    session["uid"], session["pw"] = row.id, _fingerprint(row.password_hash)
    return True


def current_admin() -> dict[str, Any] | None:
    """The signed-in admin ({id, email, name}) or None (no session, demoted, password changed)."""
    uid, fingerprint = session.get("uid"), session.get("pw")
    if not isinstance(uid, int) or not isinstance(fingerprint, str):
        return None
    row = db.session.execute(select(User.id, User.email, User.name, User.role, User.password_hash)
                             .where(User.id == uid)).first()
    if row is None or row.role != Role.ADMIN or _fingerprint(row.password_hash) != fingerprint:
        session.clear()
        return None
    return {"id": row.id, "email": row.email, "name": row.name}


def sign_out() -> None:
    """End the session."""
    session.clear()
