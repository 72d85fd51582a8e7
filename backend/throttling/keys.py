"""Who a request counts against: the token holder, the IP, the account in a login body."""

from __future__ import annotations

import hashlib
import unicodedata

from flask import request


def client_ip(environ: dict) -> str:
    """The client address (REMOTE_ADDR, already corrected by ProxyFix for trusted hops)."""
    return environ.get("REMOTE_ADDR") or "unknown"


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if token and scheme.lower() == "bearer" else None


def token_key(token: str) -> str:
    """`tok:<hash>`: a token holder's bucket.

    The hash is of the token itself (16 hex digits of SHA-256): no database look-up per request.
    A forged token gets its own bucket, which is why the per-IP ceiling exists as well.
    """
    return "tok:" + hashlib.sha256(token.encode()).hexdigest()[:16]


def remote_ip() -> str:
    """Flask-Limiter key: the request's IP."""
    return "ip:" + client_ip(request.environ)


def account_in_body() -> str:
    """Flask-Limiter key: the email in a JSON body, folded like auth folds it (NFKC, lower-case).

    A body without a usable email counts against the IP instead (it fails validation anyway).
    """
    data = request.get_json(silent=True, cache=True)
    email = data.get("email") if isinstance(data, dict) else None
    if not isinstance(email, str) or not email.strip():
        return remote_ip()
    return "acct:" + unicodedata.normalize("NFKC", email).strip().lower()[:254]
