"""SNS posts as their owner manages them: create, list (status filter, cursor pages), edit, schedule, delete.

A post can change until it is published, except while a publisher holds it (claimed, lease not
over): then edits and deletes are a 409, so a post is never changed under a request in flight.
Every statement is bound to the actor's id (posts carry their account's owner): someone else's
post or account is a 404.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update

from backend.common.actor import Actor
from backend.common.models import utcnow
from backend.common.pagination import cursor_id, decode_cursor, encode_cursor, envelope
from backend.database import write_transaction
from backend.errors import Conflict, NotFound
from backend.extensions import db
from backend.sns.accounts import not_found as account_not_found
from backend.sns.models import PostStatus, SnsAccount, SnsPost

COLUMNS = (SnsPost.id, SnsPost.account_id, SnsPost.content, SnsPost.media, SnsPost.status, SnsPost.scheduled_at,
           SnsPost.published_at, SnsPost.published_via, SnsPost.external_id, SnsPost.error, SnsPost.attempts,
           SnsPost.created_at, SnsPost.updated_at)
EDITABLE = (PostStatus.DRAFT.value, PostStatus.SCHEDULED.value, PostStatus.FAILED.value)


def item(row: Any) -> dict[str, Any]:
    """A post as the API shows it."""
    return {"id": row.id, "account_id": row.account_id, "content": row.content, "media": row.media or [],
            "status": row.status, "scheduled_at": row.scheduled_at, "published_at": row.published_at,
            "published_via": row.published_via, "external_id": row.external_id, "error": row.error,
            "attempts": row.attempts, "created_at": row.created_at, "updated_at": row.updated_at}


def not_found() -> NotFound:
    """The one 404 for a missing post and for someone else's."""
    return NotFound("SNS post not found", code="sns_post_not_found")


def _free(now: dt.datetime):
    """Not held by a publisher: unclaimed, or its claim's lease is over (that worker's result is dropped)."""
    return or_(SnsPost.claim_token.is_(None), SnsPost.next_attempt_at <= now)


def _check_account(tx, actor: Actor, account_id: int) -> None:
    if tx.execute(select(SnsAccount.id).where(SnsAccount.id == account_id,
                                              SnsAccount.owner_id == actor.id)).first() is None:
        raise account_not_found()


def _row(tx, actor: Actor, post_id: int):
    return tx.execute(select(*COLUMNS).where(SnsPost.id == post_id, SnsPost.owner_id == actor.id)).first()


def create_post(actor: Actor, account_id: int, content: str, media: list[str],
                scheduled_at: dt.datetime | None) -> dict[str, Any]:
    """A draft, or a scheduled post when `scheduled_at` is given."""
    now = utcnow()
    status = PostStatus.SCHEDULED if scheduled_at is not None else PostStatus.DRAFT
    with write_transaction(db.session) as tx:
        _check_account(tx, actor, account_id)
        post_id = tx.execute(insert(SnsPost).values(
            account_id=account_id, owner_id=actor.id, content=content, media=media, status=status.value,
            scheduled_at=scheduled_at, next_attempt_at=scheduled_at, attempts=0, revision=1, created_at=now,
            updated_at=now).returning(SnsPost.id)).scalar_one()
        row = _row(tx, actor, post_id)
    return item(row)


# The owner's list is the domain's hot read: its statements are built once per filter combination
# (bindparams, no construction or cache-key generation per request) and run as Core on the session's
# connection (no ORM execute round). Measured (docs/performance.md, "API keys and SNS automation"):
# ~3.9 -> ~1.5 ms CPU a request in process on the SCALE=large seed.
_POSTS = SnsPost.__table__
_P = _POSTS.c
_COLS = [_P[c.key] for c in COLUMNS]


def _list_statements(status: bool, account: bool, cursor: bool):
    where = [_P.owner_id == bindparam("owner")]
    if status:
        where.append(_P.status == bindparam("status"))
    if account:
        where.append(_P.account_id == bindparam("account"))
    page_where = [*where, _P.id < bindparam("before")] if cursor else where
    page = select(*_COLS).where(*page_where).order_by(_P.id.desc()).limit(bindparam("limit"))
    return page, select(func.count()).select_from(_POSTS).where(*where)


LIST_STATEMENTS = {key: _list_statements(*key) for key in itertools.product((False, True), repeat=3)}


def list_posts(actor: Actor, status: str | None, account_id: int | None, per_page: int,
               cursor: str | None) -> dict[str, Any]:
    """The actor's posts, newest first; two statements on the owner (, status) or account index."""
    params: dict[str, Any] = {"owner": actor.id, "status": status, "account": account_id, "limit": per_page + 1}
    if cursor:
        (params["before"],) = decode_cursor(cursor, "sns_posts", [cursor_id])
    page, count = LIST_STATEMENTS[(status is not None, account_id is not None, bool(cursor))]
    conn = db.session.connection()
    rows = conn.execute(page, params).all()
    total = conn.execute(count, params).scalar_one()
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        next_cursor = encode_cursor("sns_posts", [rows[-1].id])
    return envelope([item(r) for r in rows], None, per_page, total, next_cursor)


def get_post(actor: Actor, post_id: int) -> dict[str, Any]:
    """One of the actor's posts."""
    row = _row(db.session, actor, post_id)
    if row is None:
        raise not_found()
    return item(row)


def _change(actor: Actor, post_id: int, values: dict[str, Any], account_id: int | None = None) -> dict[str, Any]:
    """Apply `values` to an editable, free post of the actor (bumping its revision), or say why not."""
    now = utcnow()
    with write_transaction(db.session) as tx:
        if account_id is not None:
            _check_account(tx, actor, account_id)
        changed = tx.execute(update(SnsPost).where(
            SnsPost.id == post_id, SnsPost.owner_id == actor.id, SnsPost.status.in_(EDITABLE), _free(now))
            .values(**values, claim_token=None, revision=SnsPost.revision + 1, updated_at=now)).rowcount
        row = _row(tx, actor, post_id)
    if row is None:
        raise not_found()
    if not changed:
        if row.status == PostStatus.PUBLISHED:
            raise Conflict("a published post cannot be changed", code="post_published")
        raise Conflict("the post is being published right now; try again shortly", code="post_publishing")
    return item(row)


def edit_post(actor: Actor, post_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change content, media or account of a post that is not published."""
    return _change(actor, post_id, changes, changes.get("account_id"))


def schedule_post(actor: Actor, post_id: int, scheduled_at: dt.datetime) -> dict[str, Any]:
    """Schedule (or reschedule) a draft, scheduled or failed post; attempts and error start afresh."""
    return _change(actor, post_id, {"status": PostStatus.SCHEDULED.value, "scheduled_at": scheduled_at,
                                    "next_attempt_at": scheduled_at, "attempts": 0, "error": None})


def unschedule_post(actor: Actor, post_id: int) -> dict[str, Any]:
    """Back to draft (a scheduled or failed post)."""
    return _change(actor, post_id, {"status": PostStatus.DRAFT.value, "scheduled_at": None,
                                    "next_attempt_at": None, "attempts": 0})


def delete_post(actor: Actor, post_id: int) -> None:
    """Delete a post in any state, except while a publisher holds it (409)."""
    now = utcnow()
    with write_transaction(db.session) as tx:
        gone = tx.execute(delete(SnsPost).where(SnsPost.id == post_id, SnsPost.owner_id == actor.id,
                                                and_(_free(now)))).rowcount
        exists = gone or tx.execute(select(SnsPost.id).where(SnsPost.id == post_id,
                                                             SnsPost.owner_id == actor.id)).first() is not None
    if not exists:
        raise not_found()
    if not gone:
        raise Conflict("the post is being published right now; try again shortly", code="post_publishing")
