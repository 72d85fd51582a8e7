"""The API key format: `sfk_<12 hex prefix>_<43 url-safe secret>`, generated, parsed and hashed.

The prefix is public (the list shows it) and is what the database looks keys up by (unique
index); the secret part is 256 random bits, stored only as its SHA-256 (a fast hash suffices for
a random secret of that size, as for bearer tokens) and compared in constant time. Anything that
is not exactly this shape is refused before any statement runs (NUL bytes, 10 kB strings,
non-ASCII: a 401, never a 500).
"""

from __future__ import annotations

import hashlib
import re
import secrets

PREFIX_LENGTH = 12
KEY_RE = re.compile(r"sfk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
MAX_HEADER = 64  # longer than any valid key: checked before the regex runs


def generate() -> tuple[str, str, str]:
    """A new key: (full key shown once, prefix, secret hash)."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    secret = secrets.token_urlsafe(32)
    return f"sfk_{prefix}_{secret}", prefix, hash_secret(secret)


def hash_secret(secret: str) -> str:
    """SHA-256 hex of the secret part."""
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(value: str | None) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed key, else None."""
    if not value or len(value) > MAX_HEADER:
        return None
    match = KEY_RE.fullmatch(value.strip())
    return (match.group(1), match.group(2)) if match else None
