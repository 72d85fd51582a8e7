"""SQL text helpers for the slow-query log: normalise a statement, and take its plan safely.

Normalising collapses what varies between executions of the same statement (literals, bound
parameters in any DBAPI style, IN-lists, multi-row VALUES, whitespace) so that one entry
stands for one statement shape, like pg_stat_statements does.

Plans are taken with plain `EXPLAIN` (PostgreSQL) or `EXPLAIN QUERY PLAN` (SQLite), never
`EXPLAIN ANALYZE`, inside a transaction that is always rolled back: nothing is executed.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlalchemy.engine import Connection

_STRING = re.compile(r"'(?:[^']|'')*'")
# Bound parameters: psycopg2 pyformat/format, qmark (?/?NNN), named (:name, not ::cast), numeric ($1).
_PARAM = re.compile(r"%\(\w+\)s|%s|\?\d*|(?<![:\w]):[A-Za-z_]\w*|\$\d+")
_NUMBER = re.compile(r"(?<![\w$.])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b")
_PLACEHOLDERS = r"\(\s*\?(?:\s*,\s*\?)*\s*\)"
_IN_LIST = re.compile(r"\bIN\s*" + _PLACEHOLDERS, re.IGNORECASE)
_ARRAY = re.compile(r"\bARRAY\s*\[\s*\?(?:\s*,\s*\?)*\s*\]", re.IGNORECASE)
_VALUES = re.compile(r"\bVALUES\s*" + _PLACEHOLDERS + r"(?:\s*,\s*" + _PLACEHOLDERS + r")*", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_FIRST_WORD = re.compile(r"\s*\(?\s*(\w+)")

EXPLAINABLE = frozenset({"SELECT", "WITH", "INSERT", "UPDATE", "DELETE"})
MAX_SQL_CHARS = 4000


def normalise_sql(statement: str) -> str:
    """The statement's shape: literals and parameters as `?`, IN-lists as `IN (?...)`, single spaces."""
    sql = _STRING.sub("?", statement)
    sql = _PARAM.sub("?", sql)
    sql = _NUMBER.sub("?", sql)
    sql = _IN_LIST.sub("IN (?...)", sql)
    sql = _ARRAY.sub("ARRAY[?...]", sql)
    sql = _VALUES.sub("VALUES (?...)", sql)
    sql = _SPACE.sub(" ", sql).strip()
    return sql[:MAX_SQL_CHARS]


def statement_id(normalised: str) -> str:
    """A short stable id for a normalised statement (the same in every worker)."""
    return hashlib.blake2b(normalised.encode(), digest_size=8).hexdigest()


def statement_kind(statement: str) -> str:
    """The statement's leading keyword, upper-cased (SELECT, INSERT, BEGIN, ...)."""
    match = _FIRST_WORD.match(statement)
    return match.group(1).upper() if match else ""


def is_explainable(statement: str) -> bool:
    """True for statements a plain EXPLAIN describes without running (queries and DML)."""
    return statement_kind(statement) in EXPLAINABLE


def first_parameters(parameters: Any) -> Any:
    """The parameters of one execution (the first set of an executemany)."""
    if isinstance(parameters, list):
        return parameters[0] if parameters else ()
    return parameters if parameters is not None else ()


def explain(conn: Connection, statement: str, parameters: Any) -> list[str]:
    """The plan of `statement` as text lines; the transaction is rolled back whatever happens.

    Raises whatever the database raises (the caller records the error instead of a plan).
    """
    dialect = conn.dialect.name
    trans = conn.begin()
    try:
        if dialect == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            return _sqlite_tree(rows)
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        return [str(row[0]) for row in rows]
    finally:
        trans.rollback()


def _sqlite_tree(rows: list[Any]) -> list[str]:
    """SQLite (id, parent, notused, detail) rows as indented lines, like the sqlite3 shell prints them."""
    depth: dict[int, int] = {0: -1}
    lines = []
    for node_id, parent, _unused, detail in rows:
        depth[node_id] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node_id] + str(detail))
    return lines
