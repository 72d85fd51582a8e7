"""Maintained totals (menu_counters): added to in the same transaction as the rows they count."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend.menu.models import MenuCounter

SCAN_LOGS = "scan_logs"


def add(tx: Any, name: str, n: int) -> None:
    """`value += n` for `name` (an upsert: a missing row starts at n), inside the caller's transaction."""
    if n == 0:
        return
    insert = pg_insert if tx.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(MenuCounter).values(name=name, value=n)
    tx.execute(statement.on_conflict_do_update(index_elements=[MenuCounter.name],
                                               set_={"value": MenuCounter.value + statement.excluded.value}))
