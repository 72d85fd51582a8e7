"""Claim a key, run the view once, store its response, replay it to retries."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

import orjson
from flask import Response, current_app, request
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from backend.common.models import utcnow
from backend.database import delete_expired, write_transaction
from backend.errors import APIError, Conflict, ValidationFailed
from backend.extensions import db
from backend.idempotency.models import IdempotencyKey, KeyStatus

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


def _checked_key(raw: str) -> str:
    """The header's value when it is 1-255 printable ASCII characters; else a 422 naming it."""
    if not 1 <= len(raw) <= 255 or not all(0x20 <= ord(ch) < 0x7F for ch in raw):
        raise ValidationFailed("Idempotency-Key header is invalid", {"location": "header", "fields": {
            HEADER: "must be 1-255 printable ASCII characters"}}, code="invalid_idempotency_key")
    return raw


def fingerprint() -> str:
    """SHA-256 of the method, the path and the body.

    A JSON body is canonicalised first, so key order and spacing do not make equal bodies differ.
    """
    raw = request.get_data(cache=True)
    try:
        body = orjson.dumps(orjson.loads(raw), option=orjson.OPT_SORT_KEYS) if raw else b""
    except orjson.JSONDecodeError:
        body = raw  # the view will refuse it; the fingerprint still tells bodies apart
    return hashlib.sha256(f"{request.method} {request.path}\n".encode() + body).hexdigest()


def _claim(user_id: int, key: str, digest: str) -> Response | None:
    """Insert the claim (the unique key decides races); None when this request owns it now.

    Otherwise the answer for the retry: the stored response, 409 `in_progress`, or 422 when the
    key was used for another request.
    """
    now = utcnow()
    ttl = dt.timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    try:
        with write_transaction(db.session) as session:
            session.execute(delete(IdempotencyKey).where(  # an expired use of the key no longer counts
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key, IdempotencyKey.expires_at <= now))
            session.execute(insert(IdempotencyKey).values(user_id=user_id, key=key, fingerprint=digest,
                                                          status=KeyStatus.IN_PROGRESS.value, expires_at=now + ttl))
        return None
    except IntegrityError:
        pass
    row = db.session.execute(select(IdempotencyKey.fingerprint, IdempotencyKey.status, IdempotencyKey.response_status,
                                    IdempotencyKey.response_body, IdempotencyKey.content_type)
                             .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)).first()
    db.session.commit()  # end the read snapshot
    if row is None:  # released between our insert and this read: the client may retry at once
        raise Conflict("a request with this Idempotency-Key is still in progress", code="in_progress")
    if row.fingerprint != digest:
        raise ValidationFailed("Idempotency-Key was already used for another request", {
            "location": "header", "fields": {HEADER: "already used with a different method, path or body"}},
            code="idempotency_key_reused")
    if row.status != KeyStatus.DONE:
        raise Conflict("a request with this Idempotency-Key is still in progress", code="in_progress")
    replay = Response(row.response_body, status=row.response_status, content_type=row.content_type)
    replay.headers[REPLAYED] = "true"
    return replay


def _finish(user_id: int, key: str, answer: Response | None) -> None:
    """Store the response (2xx/4xx) or release the claim (no answer, or a 5xx) so a retry runs again."""
    where = (IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    with write_transaction(db.session) as session:
        if answer is None or answer.status_code >= 500:
            session.execute(delete(IdempotencyKey).where(*where))
        else:
            session.execute(update(IdempotencyKey).where(*where).values(
                status=KeyStatus.DONE.value, response_status=answer.status_code, response_body=answer.get_data(),
                content_type=answer.content_type))


def run_idempotent(user_id: int, view: Callable[[], Response]) -> Response:
    """Run `view` under the request's Idempotency-Key (or plainly, when there is none)."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return view()
    key = _checked_key(raw)
    replay = _claim(user_id, key, fingerprint())
    if replay is not None:
        return replay
    answer = None
    try:
        try:
            answer = view()
        except (APIError, HTTPException) as exc:  # a 4xx is an answer too: a retry must get it again
            answer = current_app.make_response(current_app.handle_user_exception(exc))
        return answer
    finally:
        _finish(user_id, key, answer)


def purge_expired(batch: int = 10_000) -> int:
    """Delete expired keys in batches; returns how many went."""
    return delete_expired(db.session, IdempotencyKey, batch)
