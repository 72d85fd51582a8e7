"""Admin DB insight: the merged slow-query log, performance figures, and ANALYZE with index hints.

Figures are merged over every worker (see common.insight_store); pool size and checkouts in use
are this worker's (each worker has its own pool), waits and timeouts are summed over all.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import sqlalchemy as sa

from backend.admin.plans import missing_indexes
from backend.common.pagination import decode_cursor, encode_cursor, envelope, invalid_cursor
from backend.database import own_tables, write_transaction
from backend.extensions import db
from backend.observability.insight import get_insight
from backend.observability.pool import pool_status

SORT = "total"
SKIP_TABLES = {"alembic_version"}


def slow_queries(page: int = 1, per_page: int = 20, cursor: str | None = None) -> dict:
    """Slow statements of every worker, largest total time first, as offset or keyset pages."""
    entries = get_insight().merged()["slow_queries"]
    ranked = sorted(entries.items(), key=lambda kv: (-kv[1]["total_ms"], kv[0]))
    page_number: int | None = page
    if cursor:
        total_ms, key = decode_cursor(cursor, SORT, 2)
        if not isinstance(total_ms, int | float) or not isinstance(key, str):
            raise invalid_cursor()
        ranked_after = [kv for kv in ranked if (-kv[1]["total_ms"], kv[0]) > (-total_ms, key)]
        window, page_number = ranked_after[:per_page + 1], None
    else:
        window = ranked[(page - 1) * per_page:page * per_page + 1]
    more = len(window) > per_page
    window = window[:per_page]
    next_cursor = encode_cursor(SORT, [window[-1][1]["total_ms"], window[-1][0]]) if more else None
    return envelope([slow_item(key, entry) for key, entry in window], page_number, per_page, len(ranked),
                    next_cursor)


def slow_item(key: str, entry: dict[str, Any]) -> dict:
    """One slow-query entry as the API shows it."""
    count = max(entry["count"], 1)
    return {"id": key, "sql": entry["sql"], "count": entry["count"], "total_ms": round(entry["total_ms"], 3),
            "mean_ms": round(entry["total_ms"] / count, 3), "max_ms": round(entry["max_ms"], 3),
            "last_seen": dt.datetime.fromtimestamp(entry["last_seen"], dt.UTC),
            "plan": entry.get("plan"), "plan_error": entry.get("plan_error")}


def performance() -> dict:
    """Pool status and waits, row counts and indexes per table, statements and DB time per endpoint."""
    insight = get_insight()
    merged = insight.merged()
    tables = table_stats()
    endpoints = [endpoint_item(name, ep) for name, ep in merged["endpoints"].items()]
    endpoints.sort(key=lambda e: (-e["db_ms"], e["endpoint"]))
    return {"database": db.engine.dialect.name, "slow_query_ms": insight.threshold_ms,
            "pool": {**pool_status(db.engine), **merged["pool"]}, "tables": tables, "endpoints": endpoints,
            "workers": [w for w in merged["workers"] if w["pid"]]}


def endpoint_item(name: str, ep: dict[str, Any]) -> dict:
    """One endpoint's totals, means and maxima."""
    requests = max(ep["requests"], 1)
    return {"endpoint": name, "requests": ep["requests"], "statements": ep["statements"],
            "statements_mean": round(ep["statements"] / requests, 3), "statements_max": ep["statements_max"],
            "db_ms": round(ep["db_ms"], 3), "db_ms_mean": round(ep["db_ms"] / requests, 3),
            "db_ms_max": round(ep["db_ms_max"], 3)}


def _table_names(inspector: Any) -> list[str]:
    return sorted(name for name in inspector.get_table_names() if name not in SKIP_TABLES)


def _index_columns(index: dict[str, Any]) -> list[str]:
    """Column names, with an expression's text where the index is on an expression."""
    expressions = index.get("expressions") or []
    columns = []
    for i, name in enumerate(index.get("column_names") or []):
        columns.append(name if name is not None else (expressions[i] if i < len(expressions) else "<expression>"))
    return columns


def _split_top_level(text: str) -> list[str]:
    """`a, lower(b), c` -> ['a', 'lower(b)', 'c'] (commas inside parentheses kept)."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        depth += (char == "(") - (char == ")")
        current += char
    return [*parts, current.strip()] if current.strip() else parts


def _sqlite_expression_indexes(conn: Any) -> dict[str, list[dict]]:
    """SQLite indexes the inspector skips (expression-based), read from their CREATE INDEX text."""
    found: dict[str, list[dict]] = {}
    rows = conn.execute(sa.text("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' "
                                "AND sql IS NOT NULL"))
    for table, name, sql in rows:
        head, _, rest = sql.partition("(")
        body, depth = "", 1
        for char in rest:
            depth += (char == "(") - (char == ")")
            if depth == 0:
                break
            body += char
        found.setdefault(table, []).append({"name": name, "columns": _split_top_level(body),
                                            "unique": "UNIQUE" in head.upper()})
    return found


def indexes_by_table(conn: Any, inspector: Any, names: list[str]) -> dict[str, list[dict]]:
    """{table: [{"name", "columns", "unique"}]} for every index, expression-based ones included."""
    with warnings.catch_warnings():  # SQLite: "skipped unsupported reflection of expression-based index"
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        out = {name: [{"name": ix["name"], "columns": _index_columns(ix), "unique": bool(ix.get("unique"))}
                      for ix in inspector.get_indexes(name)] for name in names}
    if conn.dialect.name == "sqlite":
        for table, extra in _sqlite_expression_indexes(conn).items():
            if table in out:
                known = {ix["name"] for ix in out[table]}
                out[table] += [ix for ix in extra if ix["name"] not in known]
    return out


def table_stats() -> list[dict]:
    """Exact row counts (one statement for all tables) and the indexes of each table."""
    conn = db.session.connection()
    inspector = sa.inspect(conn)
    names = _table_names(inspector)
    if not names:
        return []
    counts = sa.union_all(*(sa.select(sa.literal(name).label("name"), sa.func.count().label("n"))
                            .select_from(sa.table(name)) for name in names))
    rows = {row.name: row.n for row in conn.execute(counts)}
    indexes = indexes_by_table(conn, inspector, names)
    return [{"name": name, "rows": int(rows.get(name, 0)), "indexes": indexes[name]} for name in names]


def schema_info() -> dict[str, dict[str, Any]]:
    """Per table: its column names, and the column lists every index/primary key/unique constraint starts with."""
    conn = db.session.connection()
    inspector = sa.inspect(conn)
    names = _table_names(inspector)
    indexes = indexes_by_table(conn, inspector, names)
    info = {}
    for name in names:
        covered = [ix["columns"] for ix in indexes[name]]
        covered.append(inspector.get_pk_constraint(name).get("constrained_columns") or [])
        with warnings.catch_warnings():  # SQLite reflects unique constraints through its index list too
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            covered += [uc["column_names"] for uc in inspector.get_unique_constraints(name)]
        info[name] = {"columns": {col["name"] for col in inspector.get_columns(name)},
                      "covered": [c for c in covered if c]}
    return info


def optimize() -> dict:
    """Refresh planner statistics, then list missing indexes inferred from captured full-table scans."""
    dialect = db.engine.dialect.name
    commands = ["ANALYZE", "PRAGMA optimize"] if dialect == "sqlite" else ["ANALYZE"]
    get_insight().take_plans()  # plans as the statements met them, before new statistics change them
    with write_transaction(db.session) as session:
        for command in commands:
            # PostgreSQL: our tables only, not every schema's (backend.database.own_tables)
            tables = f" {own_tables(db.engine, db.metadata)}" if command == "ANALYZE" and dialect != "sqlite" else ""
            session.execute(sa.text(command + tables))
    slow = get_insight().merged()["slow_queries"]
    suggestions = missing_indexes(slow, dialect, schema_info())
    return {"database": dialect, "ran": commands, "suggestions": suggestions}
