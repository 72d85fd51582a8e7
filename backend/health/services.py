"""Readiness: does the database answer, and is its schema at the migrations' head?

A database without tables (or one a release behind) answers `SELECT 1` happily and then fails
every data request, so readiness compares `alembic_version` with the head of migrations/: one
indexed single-row read per probe. The head is read from the scripts once per process (parsing
the revision files costs milliseconds; they do not change while the process runs).
"""

from __future__ import annotations

import os
from functools import lru_cache

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from backend.config import ROOT
from backend.extensions import db


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The head revision(s) of migrations/ (computed once per process)."""
    return frozenset(ScriptDirectory(str(ROOT / "migrations")).get_heads())


def draining() -> bool:
    """True once the gunicorn master got SIGTERM and drains (gunicorn_config.py writes the flag)."""
    flag = os.environ.get("SF_DRAIN_FLAG")
    return bool(flag) and os.path.exists(flag)


def database_ready() -> tuple[bool, str]:
    """(ok, backend name) or (False, the reason: error class, "not migrated", "migrations behind")."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        return False, type(exc).__name__
    try:
        current = {row[0] for row in db.session.execute(text("SELECT version_num FROM alembic_version"))}
    except SQLAlchemyError:  # no alembic_version table: the schema was never migrated
        db.session.rollback()
        return False, "not migrated"
    heads = migration_heads()
    if current != heads:
        return False, f"schema not at head: at {_names(current)}, head {_names(heads)}"
    return True, db.engine.dialect.name


def _names(revisions: set[str] | frozenset[str]) -> str:
    return ", ".join(sorted(revisions)) or "none"
