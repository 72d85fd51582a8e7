"""The notifications jobs: fan-out to many users in batches, and email delivery."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from backend.auth.models import User
from backend.extensions import db
from backend.jobs.errors import JobFailed
from backend.jobs.models import JobEvent
from backend.jobs.registry import job_handler
from backend.notifications import delivery
from backend.notifications.email import Email, mailer
from backend.notifications.models import Notification


@job_handler(delivery.FANOUT, max_attempts=3)
def fan_out(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """Store one notification per recipient, NOTIFICATIONS_BATCH recipients per write transaction.

    Each committed chunk is then recorded as a `chunk` event with its last user id, and a retried
    attempt resumes after the newest one: only a chunk committed just before its worker died (its
    event not yet written) can be stored twice.
    """
    content, size = payload["content"], delivery.batch_size()
    audience, user_ids = payload.get("audience"), payload.get("user_ids")
    if audience not in (None, *delivery.AUDIENCES) or (audience is None) == (user_ids is None):
        raise JobFailed("bad_target", "give an audience (admins, everyone) or user_ids")
    after = _resume_after(ctx.job.id)
    stored = chunks = 0
    while True:
        if audience is not None:
            chunk = delivery.audience_chunk(audience, after, size)
        else:
            chunk = [u for u in user_ids if u > after][:size]
        if not chunk:
            break
        ids, emailed = delivery.insert_chunk(chunk, content)
        delivery.send_emails(emailed)
        stored, chunks, after = stored + len(ids), chunks + 1, chunk[-1]
        ctx.emit("chunk", {"after": after, "stored": len(ids)}, message=f"{stored} stored")
    return {"stored": stored, "chunks": chunks, "batch": size}


@job_handler(delivery.EMAIL, max_attempts=3)
def send_email(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """Email these notifications to their users, if a mailer is configured."""
    sender = mailer()
    ids = [int(i) for i in payload["notification_ids"]]
    if not sender.configured:
        return {"sent": 0, "skipped": len(ids), "reason": "smtp_not_configured"}
    rows = db.session.execute(select(Notification.title, Notification.body, User.email)
                              .join(User, User.id == Notification.user_id).where(Notification.id.in_(ids))).all()
    sent = sum(sender.send(Email(r.email, r.title, r.body)) for r in rows)
    return {"sent": sent, "skipped": len(rows) - sent, "reason": None if sent == len(rows) else "not_sent"}


def _resume_after(job_id: str) -> int:
    """The last user id of the newest chunk an earlier attempt committed (0: none)."""
    data = db.session.execute(select(JobEvent.data).where(JobEvent.job_id == job_id, JobEvent.type == "chunk")
                              .order_by(JobEvent.seq.desc()).limit(1)).scalar()
    db.session.commit()
    return int(data["after"]) if isinstance(data, dict) else 0
