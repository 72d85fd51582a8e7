"""The live notification stream, served by the event server (never by an API worker).

`GET /api/v1/events/notifications?token=...` (the URL from `GET /api/v1/notifications/stream-url`)
streams the token's user's new notifications as SSE (`id: <notification id>`, `event: notification`)
or NDJSON, chosen by Accept. Without Last-Event-ID (or ?after=) it starts at the newest notification
at connect time (the backlog is the API's listing); with it, it resumes after that id. Heartbeats and
the bounded duration are the job streams' (EVENTS_HEARTBEAT_SECONDS, EVENTS_STREAM_SECONDS).

News comes from the hub's `notifications` source: one statement per tick reads the newest id of
every watched user (a correlated max per user: one index probe each on `(user_id, id)`), so a
thousand open streams cost one query per tick, not a thousand.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from flask import Blueprint, Flask, current_app, request
from sqlalchemy import Engine, func, select

from backend.auth.models import User
from backend.database import read_connection
from backend.errors import Unauthorized
from backend.events.app import KEY, parse_cursor, stream_format, stream_response
from backend.events.hub import Hub
from backend.events.stream import BATCH, Limits, pump
from backend.notifications.links import STREAM_PATH, read_token
from backend.notifications.models import Notification
from backend.notifications.services import COLUMNS, item

SOURCE = "notifications"
live_bp = Blueprint("notifications_live", __name__)


def newest_ids(conn: Any, user_ids: list[int]) -> dict[int, int]:
    """{user id: newest notification id (0 when none)} for these users, in one statement."""
    newest = select(func.max(Notification.id)).where(Notification.user_id == User.id).scalar_subquery()
    return {uid: top or 0 for uid, top in conn.execute(select(User.id, newest).where(User.id.in_(user_ids)))}


def read_after(engine: Engine, user_id: int, after: int) -> list[dict[str, Any]]:
    """The user's notifications with id > after, oldest first (one short read)."""
    with read_connection(engine) as conn:
        rows = conn.execute(select(*COLUMNS).where(Notification.user_id == user_id, Notification.id > after)
                            .order_by(Notification.id).limit(BATCH)).all()
    return [item(r) for r in rows]


def frame(notification: dict[str, Any], fmt: str) -> bytes:
    """One notification as an SSE event or an NDJSON line."""
    data = orjson.dumps({"type": "notification", "notification": notification})
    if fmt == "sse":
        return b"id: %d\nevent: notification\ndata: %s\n\n" % (notification["id"], data)
    return data + b"\n"


def body(hub: Hub, user_id: int, after: int, newest: int, fmt: str, limits: Limits,
         sock: Any = None) -> Iterator[bytes]:
    """The user's stream until its time is up; the watch is dropped however it ends."""
    watch = hub.watch(SOURCE, user_id, newest)
    try:
        yield from pump(watch.woken, lambda: watch.marker, lambda last: read_after(hub.engine, user_id, last),
                        lambda item: frame(item, fmt), "id", after, fmt, limits, sock, kind="notifications")
    finally:
        hub.unwatch(watch)


@live_bp.get(STREAM_PATH)
def stream():
    """Stream the token's user's notifications after Last-Event-ID (or ?after=, or from now)."""
    config = current_app.config
    token = request.args.get("token", "")
    user_id = read_token(config["SECRET_KEY"], token, config["EVENTS_TOKEN_TTL"]) if token else None
    if user_id is None:
        raise Unauthorized("a valid stream token is required (take stream_url from the API again)")
    resume = request.headers.get("Last-Event-ID") or request.args.get("after")
    after = max(parse_cursor(request.headers.get("Last-Event-ID"), "Last-Event-ID"),
                parse_cursor(request.args.get("after"), "after"))
    hub: Hub = current_app.extensions[KEY]
    with read_connection(hub.engine) as conn:
        newest = newest_ids(conn, [user_id])
    if user_id not in newest:
        raise Unauthorized("the account of this stream token no longer exists")
    after = after if resume else newest[user_id]
    fmt = stream_format()
    limits = Limits(config["EVENTS_STREAM_SECONDS"], config["EVENTS_HEARTBEAT_SECONDS"])
    return stream_response(("user", user_id), fmt,
                           lambda sock: body(hub, user_id, after, newest[user_id], fmt, limits, sock))


def init_events_app(app: Flask) -> None:
    """On the event server: the stream route and the hub's `notifications` source."""
    app.extensions[KEY].add_source(SOURCE, newest_ids)
    app.register_blueprint(live_bp)
