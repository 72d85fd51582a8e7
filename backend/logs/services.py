"""Log store reads: search (keyset pages, newest first) and analytics (a handful of GROUP BYs).

Each search is two statements whatever the page size: the page (LIMIT per_page + 1 along one
of the `(…, created_at, id)` indexes) and a capped count (`SELECT count(*) FROM (… LIMIT cap)`:
an exact total of a million-row table would cost a full index scan per page, and nobody pages
through more than TOTAL_CAP lines; `total_capped` says when it stopped). Analytics is five
statements over the window.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select, text
from sqlalchemy.sql.elements import ColumnElement

from backend.common.models import utcnow
from backend.common.pagination import cursor_datetime, cursor_id, decode_cursor, encode_cursor, envelope
from backend.database import read_connection
from backend.extensions import db
from backend.logs.models import FTS_TABLE, LogEntry

TOTAL_CAP = 1000
TOP = 20
TRIGRAM = 3
COLUMNS = (LogEntry.id, LogEntry.created_at, LogEntry.level, LogEntry.logger, LogEntry.message,
           LogEntry.request_id, LogEntry.method, LogEntry.path, LogEntry.status, LogEntry.duration_ms,
           LogEntry.user_id, LogEntry.error_type, LogEntry.data)


def like_pattern(text: str) -> str:
    """`%text%` with LIKE's wildcards in `text` escaped (a user's `%` is a percent sign)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _conditions(dialect: str, *, q: str | None, level: str | None, request_id: str | None, path: str | None,
                since: dt.datetime | None, until: dt.datetime | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if q and dialect == "postgresql":
        conditions.append(LogEntry.message.ilike(like_pattern(q), escape="\\"))  # the trigram GIN index serves it
    elif q and len(q) >= TRIGRAM:
        # FTS5's trigram tokenizer: a quoted phrase matches where the text occurs (case-insensitive).
        phrase = '"' + q.replace('"', '""') + '"'
        conditions.append(LogEntry.id.in_(select(literal_column("rowid")).select_from(text(FTS_TABLE))
                                          .where(text(f"{FTS_TABLE} MATCH :phrase").bindparams(phrase=phrase))))
    elif q:  # one or two characters: no trigram to look up, so LIKE over the rows the other filters reach
        conditions.append(LogEntry.message.like(like_pattern(q), escape="\\"))
    if level:
        conditions.append(LogEntry.level == level)
    if request_id:
        conditions.append(LogEntry.request_id == request_id)
    if path:
        conditions.append(LogEntry.path == path)
    if since:
        conditions.append(LogEntry.created_at >= since)
    if until:
        conditions.append(LogEntry.created_at < until)
    return conditions


def search(*, q: str | None = None, level: str | None = None, request_id: str | None = None,
           path: str | None = None, since: dt.datetime | None = None, until: dt.datetime | None = None,
           per_page: int = 50, cursor: str | None = None) -> dict:
    """Stored lines matching every given filter, newest first; `cursor` continues a previous page."""
    engine = db.engine
    conditions = _conditions(engine.dialect.name, q=q, level=level, request_id=request_id, path=path,
                             since=since, until=until)
    page_conditions = list(conditions)
    if cursor:
        last_at, last_id = decode_cursor(cursor, "logs", (cursor_datetime, cursor_id))
        # `created_at <= last` is the seekable part; the OR settles ties on the same instant.
        page_conditions += [LogEntry.created_at <= last_at,
                            or_(LogEntry.created_at < last_at, LogEntry.id < last_id)]
    page = (select(*COLUMNS).where(*page_conditions)
            .order_by(LogEntry.created_at.desc(), LogEntry.id.desc()).limit(per_page + 1))
    capped = select(literal_column("1")).select_from(LogEntry).where(*conditions).limit(TOTAL_CAP + 1).subquery()
    with read_connection(engine) as conn:
        rows = conn.execute(page).all()
        total = conn.execute(select(func.count()).select_from(capped)).scalar_one()
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        next_cursor = encode_cursor("logs", [rows[-1].created_at.isoformat(), rows[-1].id])
    result = envelope([dict(row._mapping) for row in rows], None if cursor else 1, per_page,
                      min(total, TOTAL_CAP), next_cursor)
    result["total_capped"] = total > TOTAL_CAP
    return result


def _bucket(dialect: str, width: str) -> ColumnElement[str]:
    if dialect == "postgresql":
        return func.to_char(func.date_trunc(width, LogEntry.created_at), 'YYYY-MM-DD"T"HH24:MI:SS')
    fmt = {"minute": "%Y-%m-%dT%H:%M:00", "hour": "%Y-%m-%dT%H:00:00", "day": "%Y-%m-%dT00:00:00"}[width]
    return func.strftime(fmt, LogEntry.created_at)


def analytics(*, since: dt.datetime | None = None, until: dt.datetime | None = None, bucket: str = "hour") -> dict:
    """Counts by level, endpoint (method + path), status and time bucket, and the top errors, over the window."""
    until = until or utcnow()
    since = since or until - dt.timedelta(hours=24)
    engine = db.engine
    window = and_(LogEntry.created_at >= since, LogEntry.created_at < until)
    count = func.count().label("count")
    slot = _bucket(engine.dialect.name, bucket).label("bucket")
    errors = func.sum(case((LogEntry.status >= 500, 1), else_=0))
    with read_connection(engine) as conn:
        by_level = conn.execute(select(LogEntry.level, count).where(window).group_by(LogEntry.level)
                                .order_by(count.desc())).all()
        by_endpoint = conn.execute(
            select(LogEntry.method, LogEntry.path, count, errors.label("errors"),
                   func.avg(LogEntry.duration_ms).label("avg_ms"))
            .where(window, LogEntry.path.is_not(None)).group_by(LogEntry.method, LogEntry.path)
            .order_by(count.desc()).limit(TOP)).all()
        by_status = conn.execute(select(LogEntry.status, count).where(window, LogEntry.status.is_not(None))
                                 .group_by(LogEntry.status).order_by(LogEntry.status)).all()
        by_time = conn.execute(select(slot, LogEntry.level, count).where(window)
                               .group_by(slot, LogEntry.level).order_by(slot, LogEntry.level)).all()
        top = conn.execute(
            select(LogEntry.error_type, LogEntry.message, count, func.max(LogEntry.created_at).label("last_seen"),
                   func.max(LogEntry.request_id).label("request_id"))
            .where(window, LogEntry.level.in_(("error", "critical")))
            .group_by(LogEntry.error_type, LogEntry.message).order_by(count.desc()).limit(TOP)).all()
    return {
        "since": since, "until": until, "bucket": bucket,
        "by_level": [{"key": r.level, "count": r.count} for r in by_level],
        "by_endpoint": [{"method": r.method, "path": r.path, "count": r.count, "errors": int(r.errors or 0),
                         "avg_duration_ms": round(float(r.avg_ms), 3) if r.avg_ms is not None else None}
                        for r in by_endpoint],
        "by_status": [{"key": r.status, "count": r.count} for r in by_status],
        "by_time": [{"bucket": r.bucket, "level": r.level, "count": r.count} for r in by_time],
        "top_errors": [{"error_type": r.error_type, "message": r.message, "count": r.count,
                        "last_seen": _datetime(r.last_seen), "request_id": r.request_id} for r in top],
    }


def _datetime(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
