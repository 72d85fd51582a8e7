"""The signed token that lets a user's notification stream through the event server.

Like a job's stream_url (backend/jobs/links.py): EventSource cannot send an Authorization header,
so the URL carries a short-lived token (itsdangerous, SECRET_KEY, its own salt so a job token is
never a notification token) that names the user; the event server checks signature and age
(EVENTS_TOKEN_TTL) and streams that user's notifications only.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "notification-stream"
STREAM_PATH = "/api/v1/events/notifications"


def _signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def stream_url(user_id: int) -> str:
    """Where `user_id` streams their notifications (absolute when the event server is elsewhere)."""
    token = _signer(current_app.config["SECRET_KEY"]).dumps({"u": user_id})
    return f"{current_app.config['EVENTS_PUBLIC_URL'].rstrip('/')}{STREAM_PATH}?token={token}"


def read_token(secret: str, token: str, max_age: float) -> int | None:
    """The user id a genuine, fresh token names; else None."""
    try:
        claims = _signer(secret).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    user_id = claims.get("u") if isinstance(claims, dict) else None
    return user_id if isinstance(user_id, int) and not isinstance(user_id, bool) else None
