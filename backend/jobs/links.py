"""The URLs a client follows for a job, and the signed token that lets a stream through.

EventSource cannot send an Authorization header, so `stream_url` carries a short-lived token
(itsdangerous, signed with SECRET_KEY) bound to the job and its owner. The event server
(backend/events) checks the signature, its age (EVENTS_TOKEN_TTL seconds), that it names the job
in the path and that the job still belongs to that owner.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "job-stream"
STREAM_PATH = "/api/v1/events/jobs/{job_id}"


def _signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def stream_token(job_id: str, owner_id: int | None) -> str:
    """A token for streaming `job_id`'s events as its owner."""
    return _signer(current_app.config["SECRET_KEY"]).dumps({"j": job_id, "o": owner_id})


def read_stream_token(secret: str, token: str, job_id: str, max_age: float) -> dict[str, Any] | None:
    """The token's claims if it is genuine, fresh and for `job_id`; else None."""
    try:
        claims = _signer(secret).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(claims, dict) or claims.get("j") != job_id:
        return None
    return claims


def stream_url(job_id: str, owner_id: int | None) -> str:
    """Where to stream the job's events (absolute when the event server is on another origin)."""
    base = current_app.config["EVENTS_PUBLIC_URL"].rstrip("/")
    return f"{base}{STREAM_PATH.format(job_id=job_id)}?token={stream_token(job_id, owner_id)}"


def status_url(job_id: str) -> str:
    """The job's JSON resource on the API."""
    return f"/api/v1/jobs/{job_id}"


def events_url(job_id: str) -> str:
    """The job's events, polled on the API (`?after=<seq>`)."""
    return f"/api/v1/jobs/{job_id}/events"
