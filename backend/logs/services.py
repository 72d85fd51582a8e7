"""Log store reads: search (keyset pages, newest first) and analytics (a handful of GROUP BYs).

Each search is two statements whatever the page size: the page (LIMIT per_page + 1 along one
of the `(…, created_at, id)` indexes) and a capped count (`SELECT count(*) FROM (… LIMIT cap)`:
an exact total of a million-row table would cost a full index scan per page, and nobody pages
through more than TOTAL_CAP lines; `total_capped` says when it stopped). Analytics is two
statements over the window.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import Integer, and_, bindparam, column, func, literal_column, or_, select, text
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
        conditions.append(LogEntry.id.in_(_fts_ids(q)))
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


def older_than(last_at: dt.datetime, last_id: int) -> list[ColumnElement[bool]]:
    """Rows after (last_at, last_id) in the newest-first order: the keyset of search pages and exports."""
    # `created_at <= last` is the seekable part; the OR settles ties on the same instant.
    return [LogEntry.created_at <= last_at, or_(LogEntry.created_at < last_at, LogEntry.id < last_id)]


def conditions_for(**filters: Any) -> list[ColumnElement[bool]]:
    """The WHERE of a search's filters (q, level, request_id, path, since, until) on this database."""
    return _conditions(db.engine.dialect.name, **filters)


def _fts_ids(q: str):
    """Row ids whose message contains `q`, from SQLite's FTS5 trigram table.

    A quoted phrase matches where the text occurs (case-insensitive). Not bounded by the time
    window: a `rowid >= (SELECT min(id) ... WHERE created_at >= since)` bound was tried and was
    slower (SQLite finds that min by walking rowids: 80 ms per 100k rows passed), and a seek on
    the created_at index is no safe id bound (a row buffered through an outage is written late,
    with a larger id than younger rows).
    """
    phrase = '"' + q.replace('"', '""') + '"'
    sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts_phrase"
    return text(sql).bindparams(bindparam("fts_phrase", phrase)).columns(column("rowid", Integer()))


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
        page_conditions += older_than(last_at, last_id)
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
    """Counts by level, endpoint (method + path), status and time bucket, and the top errors, over the window.

    Two statements: one GROUP BY over (level, method, path, status, bucket) — a single pass over the
    window, whose small result (levels x endpoints x statuses x buckets) is rolled up here into the
    four views — and the top errors. Five separate GROUP BYs read the window five times (1.2 s on
    SQLite for a day of a million-row store, against one pass: docs/performance.md "Log store").
    """
    until = until or utcnow()
    since = since or until - dt.timedelta(hours=24)
    engine = db.engine
    window = and_(LogEntry.created_at >= since, LogEntry.created_at < until)
    count = func.count().label("count")
    slot = _bucket(engine.dialect.name, bucket).label("bucket")
    keys = (LogEntry.level, LogEntry.method, LogEntry.path, LogEntry.status, slot)
    with read_connection(engine) as conn:
        groups = conn.execute(select(*keys, count, func.sum(LogEntry.duration_ms).label("ms"),
                                     func.count(LogEntry.duration_ms).label("timed"))
                              .where(window).group_by(*keys)).all()
        top = conn.execute(
            select(LogEntry.error_type, LogEntry.message, count, func.max(LogEntry.created_at).label("last_seen"),
                   func.max(LogEntry.request_id).label("request_id"))
            .where(window, LogEntry.level.in_(("error", "critical")))
            .group_by(LogEntry.error_type, LogEntry.message).order_by(count.desc()).limit(TOP)).all()
    by_level: Counter = Counter()
    by_status: Counter = Counter()
    by_time: Counter = Counter()
    endpoints: dict[tuple, list] = {}
    for row in groups:
        by_level[row.level] += row.count
        by_time[(row.bucket, row.level)] += row.count
        if row.status is not None:
            by_status[row.status] += row.count
        if row.path is not None:
            entry = endpoints.setdefault((row.method, row.path), [0, 0, 0.0, 0])
            entry[0] += row.count
            entry[1] += row.count if (row.status or 0) >= 500 else 0
            entry[2] += float(row.ms or 0.0)
            entry[3] += row.timed
    ranked = sorted(endpoints.items(), key=lambda item: (-item[1][0], str(item[0])))[:TOP]
    return {
        "since": since, "until": until, "bucket": bucket,
        "by_level": [{"key": k, "count": c} for k, c in by_level.most_common()],
        "by_endpoint": [{"method": m, "path": p, "count": n, "errors": e,
                         "avg_duration_ms": round(ms / timed, 3) if timed else None}
                        for (m, p), (n, e, ms, timed) in ranked],
        "by_status": [{"key": k, "count": by_status[k]} for k in sorted(by_status)],
        "by_time": [{"bucket": b, "level": lv, "count": by_time[(b, lv)]} for b, lv in sorted(by_time)],
        "top_errors": [{"error_type": r.error_type, "message": r.message, "count": r.count,
                        "last_seen": _datetime(r.last_seen), "request_id": r.request_id} for r in top],
    }


def _datetime(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
