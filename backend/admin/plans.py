"""Missing-index hints inferred from captured query plans.

A plan line that reads a whole table while the statement filters it is the signal:
- SQLite: `SCAN <table or alias>` without `USING [COVERING] INDEX`, or an `AUTOMATIC ... INDEX (col=?)`
  that SQLite builds on the fly because no real one exists;
- PostgreSQL: `Seq Scan on <table> [alias]` with a `Filter:` under it.

Columns come from the plan's filter (PostgreSQL) or the statement's WHERE/ON text (SQLite) and are
kept only when they are real columns of that table. A hint is dropped when an existing index (or
primary key / unique constraint) starts with one of those columns: the planner had an index to use
and chose the scan on purpose (a tiny table, an unselective filter), so the index is not *missing*.
"""

from __future__ import annotations

import re
from typing import Any

_SQLITE_SCAN = re.compile(r"^\s*SCAN (?:TABLE )?(\w+)(.*)$")
_SQLITE_AUTO = re.compile(r"^\s*SEARCH (?:TABLE )?(\w+) USING AUTOMATIC .*INDEX \(([^)]*)\)")
_PG_SEQ = re.compile(r"Seq Scan on (?:\w+\.)?(\w+)(?: (\w+))?\s+\(")
_PG_FILTER = re.compile(r"^\s*Filter: (.*)$")
_ALIAS = re.compile(r"\b(\w+)\s+AS\s+(\w+)\b", re.IGNORECASE)
_STRING = re.compile(r"'(?:[^']|'')*'")
_CAST = re.compile(r"::\s*\"?\w+\"?(?:\s+(?:with|without)\s+time\s+zone)?(?:\[\])?", re.IGNORECASE)
_REF = re.compile(r"(?<![\w.])(?:(\w+)\.)?([A-Za-z_]\w*)\b(?!\s*\()")
_FILTER_PART = re.compile(r"\bFROM\b(.*?)(?:\bGROUP BY\b|\bORDER BY\b|\bLIMIT\b|\bRETURNING\b|$)",
                          re.IGNORECASE | re.DOTALL)
_HAS_FILTER = re.compile(r"\b(WHERE|ON)\b", re.IGNORECASE)

Schema = dict[str, dict[str, Any]]  # table -> {"columns": set[str], "covered": list[list[str]]}


def missing_indexes(slow_queries: dict[str, dict[str, Any]], dialect: str, schema: Schema) -> list[dict[str, Any]]:
    """One hint per (table, columns), from the heaviest statement that needed it first."""
    hints: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    ranked = sorted(slow_queries.items(), key=lambda kv: kv[1].get("total_ms", 0.0), reverse=True)
    for key, entry in ranked:
        plan = entry.get("plan") or []
        finder = _sqlite_scans if dialect == "sqlite" else _postgres_scans
        for table, columns, line in finder(plan, entry["sql"], schema):
            if _covered(columns, schema[table]["covered"]):
                continue
            hint = hints.get((table, tuple(columns)))
            if hint is None:
                name = "ix_" + "_".join([table, *columns]) if columns else None
                hints[(table, tuple(columns))] = {
                    "table": table, "columns": columns, "statement_id": key, "statement": entry["sql"],
                    "plan_line": line.strip(), "count": entry.get("count", 0),
                    "total_ms": round(entry.get("total_ms", 0.0), 3),
                    "create_index": f"CREATE INDEX {name} ON {table} ({', '.join(columns)})" if name else None}
            elif hint["statement_id"] != key:
                hint["count"] += entry.get("count", 0)
                hint["total_ms"] = round(hint["total_ms"] + entry.get("total_ms", 0.0), 3)
    return list(hints.values())


def _aliases(sql: str, schema: Schema) -> dict[str, str]:
    """Name or alias as a plan shows it -> real table name."""
    names = {table: table for table in schema}
    for table, alias in _ALIAS.findall(sql):
        if table in schema:
            names[alias] = table
    return names


def _sqlite_scans(plan: list[str], sql: str, schema: Schema):
    names = _aliases(sql, schema)
    for line in plan:
        auto = _SQLITE_AUTO.match(line)
        if auto and auto.group(1) in names:
            table = names[auto.group(1)]
            cols = [c.split("=")[0].strip() for c in auto.group(2).split(" AND ")]
            yield table, [c for c in cols if c in schema[table]["columns"]], line
            continue
        scan = _SQLITE_SCAN.match(line)
        if not scan or scan.group(1) not in names or "INDEX" in scan.group(2):
            continue
        if not _HAS_FILTER.search(sql):
            continue  # a full listing: no index makes reading every row cheaper
        table = names[scan.group(1)]
        part = _FILTER_PART.search(sql)
        text = part.group(1) if part else sql
        qualifiers = {n for n, t in names.items() if t == table}
        bare_ok = len(_tables_in(sql, schema)) <= 1  # bare names are unambiguous with one table
        yield table, _columns(text, qualifiers, schema[table]["columns"], bare_ok), line


def _postgres_scans(plan: list[str], sql: str, schema: Schema):
    for i, line in enumerate(plan):
        seq = _PG_SEQ.search(line)
        if not seq or seq.group(1) not in schema:
            continue
        table = seq.group(1)
        indent = len(line) - len(line.lstrip())
        filters = []
        for follow in plan[i + 1:]:
            if len(follow) - len(follow.lstrip()) <= indent:
                break
            match = _PG_FILTER.match(follow)
            if match:
                filters.append(match.group(1))
        if not filters:
            continue  # no filter on this scan: it reads every row on purpose (a listing, a hash join side)
        qualifiers = {table} | ({seq.group(2)} if seq.group(2) else set())
        yield table, _columns(" ".join(filters), qualifiers, schema[table]["columns"], bare_ok=True), line


def _tables_in(sql: str, schema: Schema) -> set[str]:
    words = set(re.findall(r"\w+", sql))
    return {table for table in schema if table in words}


def _columns(text: str, qualifiers: set[str], columns: set[str], bare_ok: bool) -> list[str]:
    """Real columns of the table named in `text` (qualified by one of `qualifiers`, or bare if allowed)."""
    text = _CAST.sub("", _STRING.sub("''", text))
    found: list[str] = []
    for qualifier, name in _REF.findall(text):
        if name not in columns or name in found:
            continue
        if (qualifier and qualifier in qualifiers) or (not qualifier and bare_ok):
            found.append(name)
    return found


def _covered(columns: list[str], covered: list[list[str]]) -> bool:
    """True when an existing index starts with one of these columns (so one was there to use)."""
    return any(index and index[0] in columns for index in covered)
