"""The periodic publisher: claim due posts atomically, publish each, record the outcome.

Claiming is one UPDATE ... WHERE id IN (due ids) AND still due, RETURNING the ids: on PostgreSQL
the inner SELECT takes `FOR UPDATE SKIP LOCKED` (two workers pick different posts without waiting)
and the outer WHERE is re-checked on the locked row (a post another worker claimed first no
longer matches); on SQLite the write transaction is the only writer. A claim sets a token and
moves `next_attempt_at` a lease ahead (SNS_CLAIM_SECONDS): a worker that dies mid-publish leaves
the post to be claimed again after the lease (the relay dedupes by the Idempotency-Key). Results
are written only `WHERE claim_token = <ours>`, so an edit or delete in between wins.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from backend.common.models import utcnow
from backend.common.secrets import SecretUnreadable, decrypt
from backend.database import write_transaction
from backend.extensions import db
from backend.jobs.registry import periodic
from backend.sns import publisher
from backend.sns.models import PostStatus, SnsAccount, SnsPost

log = logging.getLogger(__name__)


def claim(limit: int, now: dt.datetime | None = None) -> tuple[str, list[int]]:
    """Claim up to `limit` due posts for this caller; returns (claim token, their ids)."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    lease = dt.timedelta(seconds=current_app.config["SNS_CLAIM_SECONDS"])
    due = (SnsPost.status == PostStatus.SCHEDULED.value, SnsPost.next_attempt_at <= now)
    with write_transaction(db.session) as tx:
        ids = select(SnsPost.id).where(*due).order_by(SnsPost.next_attempt_at).limit(limit)
        if tx.get_bind().dialect.name == "postgresql":
            ids = ids.with_for_update(skip_locked=True)
        claimed = tx.execute(update(SnsPost).where(SnsPost.id.in_(ids.scalar_subquery()), *due)
                             .values(claim_token=token, next_attempt_at=now + lease, attempts=SnsPost.attempts + 1)
                             .returning(SnsPost.id)).scalars().all()
    return token, sorted(claimed)


def _claimed(token: str) -> list[Any]:
    return db.session.execute(
        select(SnsPost.id, SnsPost.revision, SnsPost.content, SnsPost.media, SnsPost.attempts, SnsAccount.platform,
               SnsAccount.handle, SnsAccount.credential)
        .join(SnsAccount, SnsAccount.id == SnsPost.account_id).where(SnsPost.claim_token == token)
        .order_by(SnsPost.id)).all()


def _record(post_id: int, token: str, values: dict[str, Any]) -> None:
    with write_transaction(db.session) as tx:
        tx.execute(update(SnsPost).where(SnsPost.id == post_id, SnsPost.claim_token == token)
                   .values(**values, claim_token=None))


def _outcome(post: Any, token: str) -> str:
    """Publish one claimed post and record what happened; returns published | retry | failed."""
    config = current_app.config
    try:
        result = publisher.publish(post, decrypt(post.credential))
    except SecretUnreadable:
        result = publisher.Outcome(False, reason="the account's credential cannot be decrypted (SECRETS_KEYS)")
    now = utcnow()
    if result.published:
        _record(post.id, token, {"status": PostStatus.PUBLISHED.value, "published_at": now, "error": None,
                                 "published_via": str(result.via), "external_id": result.external_id,
                                 "next_attempt_at": None})
        return "published"
    if result.transient and post.attempts < config["SNS_MAX_ATTEMPTS"]:
        wait = config["SNS_RETRY_SECONDS"] * 2 ** (post.attempts - 1)
        _record(post.id, token, {"error": result.reason, "next_attempt_at": now + dt.timedelta(seconds=wait)})
        return "retry"
    reason = result.reason if not result.transient else f"gave up after {post.attempts} attempts: {result.reason}"
    _record(post.id, token, {"status": PostStatus.FAILED.value, "error": reason[:500], "next_attempt_at": None})
    return "failed"


def publish_due(limit: int | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Claim and publish due posts (one claim of up to SNS_PUBLISH_BATCH); counts per outcome."""
    token, ids = claim(limit or current_app.config["SNS_PUBLISH_BATCH"], now)
    counts = {"claimed": len(ids), "published": 0, "retry": 0, "failed": 0}
    if not ids:
        return counts
    posts = _claimed(token)
    db.session.commit()  # end the read snapshot: no transaction stays open across the HTTP calls
    for post in posts:
        counts[_outcome(post, token)] += 1
    db.session.remove()
    log.info("sns publisher: %s", counts)
    return counts


@periodic("sns.publish_due", minute="*")
def publish_due_periodic() -> dict[str, int]:
    """Every minute in the worker: publish what is due."""
    return publish_due()
