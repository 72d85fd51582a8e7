"""Log exports: the stored lines matching a search's filters, as NDJSON or CSV, made by the export job.

Two kinds in the generic export registry (backend/exports/kinds.py), `logs_ndjson` and `logs_csv`,
admin only; `POST /api/v1/admin/logs/export` is a shortcut that picks the kind from `format`.
The renderer walks the same `(…, created_at, id)` keyset as the search, newest first, PAGE rows
per statement, and writes each page before reading the next: memory stays flat whatever the
export's size (docs/performance.md "Log store"). Stored lines were masked before they were
stored; CSV cells that a spreadsheet would run as a formula are prefixed with `'` (a log line
holds whatever a client sent, e.g. a path `=HYPERLINK(...)`).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import current_app
from sqlalchemy import func, literal_column, select

from backend.auth.models import Role
from backend.common.json import dumps_bytes
from backend.database import read_connection
from backend.exports.kinds import ExportKind, Owner, RenderContext, register
from backend.extensions import db
from backend.logs.models import LogEntry
from backend.logs.schemas import LogExportFilters
from backend.logs.services import COLUMNS, conditions_for, older_than

PAGE = 2000
FIELDS = [c.key for c in COLUMNS]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _pages(filters: LogExportFilters, limit: int):
    """Pages of matching rows, newest first, at most `limit` rows in all."""
    conditions = conditions_for(**filters.model_dump())
    last: tuple[Any, int] | None = None
    left = limit
    while left > 0:
        page_conditions = list(conditions)
        if last is not None:
            page_conditions += older_than(*last)
        statement = (select(*COLUMNS).where(*page_conditions)
                     .order_by(LogEntry.created_at.desc(), LogEntry.id.desc()).limit(min(PAGE, left)))
        with read_connection(db.engine) as conn:
            rows = conn.execute(statement).all()
        if not rows:
            return
        yield rows
        left -= len(rows)
        last = (rows[-1].created_at, rows[-1].id)


def _total(filters: LogExportFilters, limit: int) -> int:
    """How many rows the export will hold (counted up to `limit`: the progress denominator)."""
    conditions = conditions_for(**filters.model_dump())
    capped = select(literal_column("1")).select_from(LogEntry).where(*conditions).limit(limit).subquery()
    with read_connection(db.engine) as conn:
        return conn.execute(select(func.count()).select_from(capped)).scalar_one()


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: a leading formula character gets a `'` in front."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _render(ctx: RenderContext, filters: LogExportFilters, write_page) -> int:
    limit = current_app.config["LOGS_EXPORT_MAX_ROWS"]
    total = _total(filters, limit)
    written = 0
    ctx.progress(0, f"exporting {total:,} log lines")
    for rows in _pages(filters, limit):
        write_page(ctx.out, rows)
        written += len(rows)
        ctx.progress(min(99, written * 100 // max(total, 1)), f"{written:,} of {total:,} lines")
    return written


def _ndjson_page(out, rows) -> None:
    out.write(b"".join(dumps_bytes(dict(row._mapping)) + b"\n" for row in rows))


def _csv_page(out, rows) -> None:
    text = io.StringIO()
    writer = csv.writer(text)
    for row in rows:
        values = dict(row._mapping)
        values["data"] = dumps_bytes(values["data"]).decode() if values["data"] else ""
        values["created_at"] = values["created_at"].isoformat() + "Z"
        writer.writerow([safe_cell(values[f]) for f in FIELDS])
    out.write(text.getvalue().encode())


def render_ndjson(ctx: RenderContext, filters: LogExportFilters) -> int:
    """One JSON object per line, the search's fields."""
    return _render(ctx, filters, _ndjson_page)


def render_csv(ctx: RenderContext, filters: LogExportFilters) -> int:
    """A header row, then one row per line (`data` as a JSON cell)."""
    ctx.out.write(",".join(FIELDS).encode() + b"\r\n")
    return _render(ctx, filters, _csv_page)


def _filename(owner: Owner, filters: LogExportFilters) -> str:
    since = filters.since.strftime("%Y%m%dT%H%M") if filters.since else "start"
    until = filters.until.strftime("%Y%m%dT%H%M") if filters.until else "now"
    return f"logs-{since}-{until}"


ADMIN = (Role.ADMIN.value,)
register(ExportKind("logs_ndjson", LogExportFilters, render_ndjson, "application/x-ndjson", "ndjson", _filename,
                    roles=ADMIN, summary="Stored log lines matching the search filters, one JSON object per line"))
register(ExportKind("logs_csv", LogExportFilters, render_csv, "text/csv; charset=utf-8", "csv", _filename,
                    roles=ADMIN, summary="Stored log lines matching the search filters, as CSV"))
