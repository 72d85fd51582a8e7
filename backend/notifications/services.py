"""Notifications as their owner sees them: list, unread count, mark read, preferences, stream URL.

Only the owner sees a notification: every statement is bound to the actor's user id, and a
notification of someone else is a 404 exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import func, literal, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend.common.actor import Actor
from backend.common.events import publish
from backend.common.models import utcnow
from backend.common.pagination import cursor_id, decode_cursor, encode_cursor, envelope
from backend.database import write_transaction
from backend.errors import NotFound
from backend.extensions import db
from backend.notifications import links
from backend.notifications.email import mailer
from backend.notifications.models import Notification
from backend.notifications.models import NotificationPreference as Pref

COLUMNS = (Notification.id, Notification.type, Notification.title, Notification.body, Notification.data,
           Notification.read_at, Notification.created_at)
UNREAD_PHASE, READ_PHASE = 0, 1


def _phase(value: Any) -> int:
    if value in (UNREAD_PHASE, READ_PHASE) and not isinstance(value, bool):
        return value
    raise ValueError("not a phase")


def item(row: Any) -> dict[str, Any]:
    """A notification row as the API shows it."""
    return {"id": row.id, "type": row.type, "title": row.title, "body": row.body, "data": row.data or {},
            "read": row.read_at is not None, "read_at": row.read_at, "created_at": row.created_at}


def _part(user_id: int, phase: int, before: int | None, limit: int):
    """One phase's newest `limit` rows (unread ones through the partial index)."""
    state = Notification.read_at.is_(None) if phase == UNREAD_PHASE else Notification.read_at.is_not(None)
    query = select(*COLUMNS, literal(phase).label("phase")).where(Notification.user_id == user_id, state)
    if before is not None:
        query = query.where(Notification.id < before)
    return select(query.order_by(Notification.id.desc()).limit(limit).subquery())


def list_notifications(actor: Actor, unread: bool | None, per_page: int, cursor: str | None) -> dict[str, Any]:
    """Unread first, then read, newest first in each; two statements (the page, the total).

    The page is one UNION ALL of the two phases' index-ordered slices; the cursor holds the phase
    and id of the last row shown. A notification read between two pages moves to the read phase
    (it may then be shown again there): the listing follows the state, not a snapshot.
    """
    phase, before = UNREAD_PHASE, None
    if cursor:
        phase, before = decode_cursor(cursor, "notifications", [_phase, cursor_id])
    limit = per_page + 1
    parts = []
    if unread is not False and phase == UNREAD_PHASE:
        parts.append(_part(actor.id, UNREAD_PHASE, before, limit))
    if unread is not True:
        parts.append(_part(actor.id, READ_PHASE, before if phase == READ_PHASE else None, limit))
    page = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    rows = db.session.execute(select(page).order_by(page.c.phase, page.c.id.desc()).limit(limit)).all() \
        if parts else []
    where = [Notification.user_id == actor.id]
    if unread is not None:
        where.append(Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None))
    total = db.session.execute(select(func.count()).select_from(Notification).where(*where)).scalar_one()
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        next_cursor = encode_cursor("notifications", [rows[-1].phase, rows[-1].id])
    return envelope([item(r) for r in rows], None, per_page, total, next_cursor)


def unread_count(actor: Actor) -> dict[str, int]:
    """How many unread (one count over the partial index)."""
    count = db.session.execute(select(func.count()).select_from(Notification)
                               .where(Notification.user_id == actor.id, Notification.read_at.is_(None))).scalar_one()
    return {"unread": count}


def mark_read(actor: Actor, notification_id: int) -> dict[str, Any]:
    """Mark one of the actor's notifications read (again is a no-op); 404 for anyone else's."""
    with write_transaction(db.session) as tx:
        mine = (Notification.id == notification_id, Notification.user_id == actor.id)
        tx.execute(update(Notification).where(*mine, Notification.read_at.is_(None)).values(read_at=utcnow()))
        row = tx.execute(select(*COLUMNS).where(*mine)).first()
    if row is None:
        raise NotFound("notification not found", code="notification_not_found")
    publish("notifications_read", user_id=actor.id)
    return item(row)


def read_all(actor: Actor) -> dict[str, int]:
    """Mark every unread notification of the actor read."""
    with write_transaction(db.session) as tx:
        unread = (Notification.user_id == actor.id, Notification.read_at.is_(None))
        updated = tx.execute(update(Notification).where(*unread).values(read_at=utcnow())).rowcount
    if updated:
        publish("notifications_read", user_id=actor.id)
    return {"updated": updated}


def get_preferences(actor: Actor) -> dict[str, Any]:
    """The actor's choices (defaults when never set)."""
    row = db.session.execute(select(Pref.disabled_types, Pref.email).where(Pref.user_id == actor.id)).first()
    disabled, email = (row.disabled_types or [], row.email) if row else ([], False)
    return {"disabled_types": disabled, "email": email, "email_available": mailer().configured}


def set_preferences(actor: Actor, disabled_types: list[str], email: bool) -> dict[str, Any]:
    """Replace the actor's choices (one upsert)."""
    values = {"user_id": actor.id, "disabled_types": sorted({str(t) for t in disabled_types}), "email": email,
              "updated_at": utcnow()}
    with write_transaction(db.session) as tx:
        insert = pg_insert if tx.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = insert(Pref).values(**values)
        tx.execute(statement.on_conflict_do_update(index_elements=[Pref.user_id], set_={
            "disabled_types": statement.excluded.disabled_types, "email": statement.excluded.email,
            "updated_at": statement.excluded.updated_at}))
    return {"disabled_types": values["disabled_types"], "email": email, "email_available": mailer().configured}


def stream_url(actor: Actor) -> dict[str, Any]:
    """A signed URL for the actor's live notifications on the event server."""
    return {"stream_url": links.stream_url(actor.id), "expires_in": current_app.config["EVENTS_TOKEN_TTL"]}
