"""Password hashing (Argon2id) and the password policy every path that sets one applies.

The policy refuses what a guessing attack tries first: the 30,000 most common passwords (the
list zxcvbn ships, compared case-insensitively), digits only, an email address, the account's
email or its local part inside the password, and control characters (a NUL or a newline is never typed on purpose
and breaks tools down the line). Length is 8-256, checked by the schemas.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from backend.errors import ValidationFailed

EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_LOCAL_PART = 4  # shorter local parts ("al@...") occur inside too many good passwords to refuse them
# Verifying against a dummy hash keeps a login for an unknown email as slow as one for a known email.
_DUMMY_HASH: dict[tuple, str] = {}


def password_hasher() -> PasswordHasher:
    """The app's Argon2id hasher (cost from config; tests use a cheap one)."""
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"],
                          parallelism=cfg["ARGON2_PARALLELISM"])


def hash_password(password: str) -> str:
    """Argon2id hash of `password`."""
    return password_hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when `password` matches `stored`; with no stored hash, spend the same time and say no."""
    hasher = password_hasher()
    if stored is None:
        key = (hasher.time_cost, hasher.memory_cost)
        if key not in _DUMMY_HASH:
            _DUMMY_HASH[key] = hasher.hash(secrets.token_hex(8))
        stored, known = _DUMMY_HASH[key], False
    else:
        known = True
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return known


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords, as zxcvbn ships them (loaded once, on first use)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, email: str) -> str | None:
    """Why `password` is refused for the account `email`, or None when it is acceptable."""
    if any(unicodedata.category(ch) == "Cc" for ch in password):
        return "must not contain control characters"
    if password.isdigit():
        return "must not be digits only"
    lowered = password.lower()
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        return "is one of the most common passwords; choose another"
    if EMAIL_SHAPE.match(password):
        return "must not be an email address"
    local_part = email.split("@", 1)[0].lower()
    if email and (email.lower() in lowered or (len(local_part) >= MIN_LOCAL_PART and local_part in lowered)):
        return "must not contain your email address"
    return None


def check_password(password: str, email: str, field: str = "password") -> None:
    """Raise a 422 naming `field` when the policy refuses `password`."""
    problem = password_problem(password, email)
    if problem is not None:
        raise ValidationFailed("request body is invalid",
                               {"location": "body", "fields": {field: f"password {problem}"}},
                               code="weak_password")
