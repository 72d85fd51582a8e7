"""SNS accounts as their owner manages them: connect (credential encrypted), list, show, delete.

Every statement is bound to the actor's id: someone else's account is a 404 like a missing one.
The credential is encrypted before the transaction (backend/common/secrets.py) and never read
back by these services: only the publisher decrypts it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from backend.common.actor import Actor
from backend.common.models import utcnow
from backend.common.pagination import cursor_id, decode_cursor, encode_cursor, envelope
from backend.common.secrets import encrypt
from backend.database import write_transaction
from backend.errors import Conflict, NotFound
from backend.extensions import db
from backend.sns.models import SnsAccount

COLUMNS = (SnsAccount.id, SnsAccount.platform, SnsAccount.handle, SnsAccount.created_at)


def item(row: Any) -> dict[str, Any]:
    """An account as the API shows it (a stored credential is only acknowledged)."""
    return {"id": row.id, "platform": row.platform, "handle": row.handle, "has_credential": True,
            "created_at": row.created_at}


def not_found() -> NotFound:
    """The one 404 for a missing account and for someone else's."""
    return NotFound("SNS account not found", code="sns_account_not_found")


def create_account(actor: Actor, platform: str, handle: str, credential: str) -> dict[str, Any]:
    """Connect an account (409 when the actor already connected this platform and handle)."""
    token = encrypt(credential)
    now = utcnow()
    try:
        with write_transaction(db.session) as tx:
            account_id = tx.execute(insert(SnsAccount).values(owner_id=actor.id, platform=platform, handle=handle,
                                                              credential=token, created_at=now)
                                    .returning(SnsAccount.id)).scalar_one()
    except IntegrityError:
        raise Conflict("you already connected this account", {"platform": platform, "handle": handle},
                       code="sns_account_exists") from None
    return {"id": account_id, "platform": platform, "handle": handle, "has_credential": True, "created_at": now}


# Built once (bindparams) and run as Core on the session's connection, like the post list (posts.py).
_A = SnsAccount.__table__.c
_PAGE = select(*[_A[c.key] for c in COLUMNS]).where(_A.owner_id == bindparam("owner"))
LIST_PAGE = {False: _PAGE.order_by(_A.id.desc()).limit(bindparam("limit")),
             True: _PAGE.where(_A.id < bindparam("before")).order_by(_A.id.desc()).limit(bindparam("limit"))}
LIST_COUNT = select(func.count()).select_from(SnsAccount.__table__).where(_A.owner_id == bindparam("owner"))


def list_accounts(actor: Actor, per_page: int, cursor: str | None) -> dict[str, Any]:
    """The actor's accounts, newest first (keyset on the (owner_id, id) index); two statements."""
    params: dict[str, Any] = {"owner": actor.id, "limit": per_page + 1}
    if cursor:
        (params["before"],) = decode_cursor(cursor, "sns_accounts", [cursor_id])
    conn = db.session.connection()
    rows = conn.execute(LIST_PAGE[bool(cursor)], params).all()
    total = conn.execute(LIST_COUNT, params).scalar_one()
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        next_cursor = encode_cursor("sns_accounts", [rows[-1].id])
    return envelope([item(r) for r in rows], None, per_page, total, next_cursor)


def get_account(actor: Actor, account_id: int) -> dict[str, Any]:
    """One of the actor's accounts."""
    row = db.session.execute(select(*COLUMNS).where(SnsAccount.id == account_id,
                                                    SnsAccount.owner_id == actor.id)).first()
    if row is None:
        raise not_found()
    return item(row)


def delete_account(actor: Actor, account_id: int) -> None:
    """Disconnect an account; its posts go with it (ON DELETE CASCADE)."""
    with write_transaction(db.session) as tx:
        gone = tx.execute(delete(SnsAccount).where(SnsAccount.id == account_id,
                                                   SnsAccount.owner_id == actor.id)).rowcount
    if not gone:
        raise not_found()
