"""Creating notifications: honour each recipient's preferences, insert, hand email to a job.

`notify` is for a known, small set of users (a password change's account): it runs in the caller,
after the caller's commit, as one short write transaction (preferences read, rows inserted). A
booking's two parties are stored by `stage_each` inside the booking's own write transaction
(the `stage_booking_*` hooks): one commit per booking instead of two.
Larger sets and audiences ("every admin", "everyone") go to the `notifications.fanout` job, which
inserts NOTIFICATIONS_BATCH recipients per write transaction: short transactions keep SQLite's
single writer (and PostgreSQL's row locks) free for the API between chunks, while chunks large
enough amortise each commit (the figures behind the default are in docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, insert, select

from backend.auth.models import User
from backend.common.events import publish
from backend.common.models import utcnow
from backend.database import write_transaction
from backend.extensions import db
from backend.notifications.models import Notification, NotificationPreference, NotificationType

FANOUT = "notifications.fanout"
EMAIL = "notifications.email"
AUDIENCES = ("admins", "everyone")


def batch_size() -> int:
    """Recipients per write transaction in a fan-out (NOTIFICATIONS_BATCH, at least 1)."""
    return max(1, int(current_app.config["NOTIFICATIONS_BATCH"]))


def notify(user_ids: Iterable[int], type_: NotificationType, title: str, body: str = "",
           data: dict[str, Any] | None = None) -> list[int]:
    """Notify `user_ids` (deduplicated); ids of the stored notifications, or [] when a job took it.

    More recipients than one batch holds are handed to the fan-out job instead of inserted here.
    """
    recipients = sorted(set(user_ids))
    content = {"type": str(type_), "title": title, "body": body, "data": data or {}}
    if len(recipients) > batch_size():
        enqueue_fanout({"user_ids": recipients}, content)
        return []
    return notify_each([(user_id, content) for user_id in recipients])


def notify_each(items: Sequence[tuple[int, dict[str, Any]]]) -> list[int]:
    """Store a few notifications whose content differs per recipient, in one write transaction."""
    if not items:
        return []
    stored, emailed = insert_rows(items)
    send_emails(emailed)
    return stored


def enqueue_fanout(target: dict[str, Any], content: dict[str, Any], owner_id: int | None = None) -> dict[str, Any]:
    """Queue the fan-out job for `target` ({"audience": "admins"|"everyone"} or {"user_ids": [...]})."""
    from backend.jobs.services import enqueue

    return enqueue(FANOUT, {**target, "content": content}, owner_id)


def insert_chunk(user_ids: Sequence[int], content: dict[str, Any]) -> tuple[list[int], list[int]]:
    """One write transaction: store `content` for each user whose preferences allow it (see insert_rows)."""
    return insert_rows([(user_id, content) for user_id in user_ids])


# Every booking creates two notifications in its own write transaction, so this is on the booking
# write path: built once, run as Core on the transaction's connection. The ORM bulk insert it replaces cost
# ~1 ms of a booking's ~2.4 ms CPU (cProfile of 300 bookings in process, SCALE=large).
_N, _P = Notification.__table__, NotificationPreference.__table__
PREFERENCES = select(_P.c.user_id, _P.c.disabled_types, _P.c.email).where(
    _P.c.user_id.in_(bindparam("user_ids", expanding=True)))
INSERT = insert(_N).returning(_N.c.id, _N.c.user_id, sort_by_parameter_order=True)


def insert_rows(items: Sequence[tuple[int, dict[str, Any]]]) -> tuple[list[int], list[int]]:
    """One write transaction: store each (user id, content) the user's preferences allow.

    Returns (every stored id, the ids whose users want email as well).
    """
    with write_transaction(db.session) as tx:
        stored, emailed, users = insert_on(tx.connection(), items)
    if stored:
        publish("notifications_stored", user_ids=users)  # e.g. dashboards' unread counts
    return stored, emailed


def stage_each(conn: Any, items: Sequence[tuple[int, dict[str, Any]]]) -> Callable[[], None] | None:
    """`notify_each` inside the publisher's write transaction (a stage hook, backend.common.events.stage).

    Returns what to run after the commit: announce the new rows and hand their emails to a job.
    """
    stored, emailed, users = insert_on(conn, items)
    if not stored:
        return None

    def announce() -> None:
        publish("notifications_stored", user_ids=users)
        send_emails(emailed)

    return announce


def insert_on(conn: Any, items: Sequence[tuple[int, dict[str, Any]]]) -> tuple[list[int], list[int], list[int]]:
    """Store each (user id, content) the user's preferences allow, on `conn` (an open write transaction).

    Two statements whatever the number of rows: the recipients' preferences, one multi-row insert.
    Returns (every stored id, the ids whose users want email as well, the users that got one).
    """
    user_ids = sorted({user_id for user_id, _ in items})
    prefs = {row.user_id: row for row in conn.execute(PREFERENCES, {"user_ids": user_ids})}
    now = utcnow()
    wanted = [{"type": c["type"], "title": c["title"], "body": c.get("body", ""), "data": c.get("data") or {},
               "user_id": u, "read_at": None, "created_at": now}
              for u, c in items if u not in prefs or c["type"] not in (prefs[u].disabled_types or [])]
    if not wanted:
        return [], [], []
    rows = conn.execute(INSERT, wanted).all()
    emailed = [r.id for r in rows if r.user_id in prefs and prefs[r.user_id].email]
    return [r.id for r in rows], emailed, sorted({r.user_id for r in rows})


def audience_chunk(audience: str, after_id: int, size: int) -> list[int]:
    """The next `size` user ids of `audience` above `after_id` (keyset over the users' primary key)."""
    query = select(User.id).where(User.id > after_id).order_by(User.id).limit(size)
    if audience == "admins":
        query = query.where(User.role == "admin")
    ids = list(db.session.execute(query).scalars())
    db.session.commit()  # end the read snapshot before the chunk's write transaction
    return ids


def send_emails(notification_ids: list[int]) -> None:
    """Hand the emails of these notifications to a job (the request never waits on SMTP)."""
    if notification_ids:
        from backend.jobs.services import enqueue

        enqueue(EMAIL, {"notification_ids": notification_ids}, None)
