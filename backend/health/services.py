"""Readiness: can we run a statement on the database?"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from backend.extensions import db


def database_ready() -> tuple[bool, str]:
    """(ok, backend name or error class)."""
    try:
        db.session.execute(text("SELECT 1"))
        return True, db.engine.dialect.name
    except SQLAlchemyError as exc:
        db.session.rollback()
        return False, type(exc).__name__
