"""The HTTP side of authentication: read the bearer token, find the user, check the role."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import g, request

from backend.auth.services import user_for_token
from backend.errors import Forbidden, Unauthorized


def require_user(roles: Iterable[str]) -> Any:
    """The signed-in user for this request, or 401 (no/bad token) / 403 (role not allowed)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token", code="missing_token")
    user = user_for_token(token.strip())
    if user is None:
        raise Unauthorized("invalid or expired token", code="invalid_token")
    if user.role not in roles:
        raise Forbidden("your role may not do this")
    return user


def current_user() -> Any:
    """The user `api_route` authenticated for this request."""
    return g.user
