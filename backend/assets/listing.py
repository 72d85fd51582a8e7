"""My assets, newest first: one statement a page (the total rides in it), keyset cursors.

The page is a Core select on ix_assets_owner_created (owner_id, created_at, id); the total is an
uncorrelated scalar subquery on the same index, so a page costs one statement whatever its size
(a second one only when the page comes back empty and the total is still wanted).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam, func, select, tuple_

from backend.assets.models import Asset
from backend.assets.services import ASSETS, COLUMNS, asset_out
from backend.common.actor import Actor
from backend.common.pagination import cursor_datetime, decode_cursor, encode_cursor, envelope
from backend.database import read_connection
from backend.extensions import db

SORT = "newest"
_MINE = ASSETS.owner_id == bindparam("owner_id")
COUNT = select(func.count()).select_from(Asset.__table__).where(_MINE)
ORDER = (ASSETS.created_at.desc(), ASSETS.id.desc())
OFFSET_PAGE = (select(*COLUMNS, COUNT.scalar_subquery().label("total")).where(_MINE).order_by(*ORDER)
               .limit(bindparam("limit")).offset(bindparam("offset")))
KEYSET_PAGE = (select(*COLUMNS, COUNT.scalar_subquery().label("total"))
               .where(_MINE, tuple_(ASSETS.created_at, ASSETS.id) < tuple_(
                   bindparam("last_created", type_=ASSETS.created_at.type), bindparam("last_id")))
               .order_by(*ORDER).limit(bindparam("limit")))


def _cursor_uuid(value: Any) -> str:
    """An asset id in a cursor: canonical UUID text."""
    if isinstance(value, str) and len(value) == 36:
        return str(uuid.UUID(value))
    raise ValueError("not an asset id")


def list_assets(actor: Actor, page: int = 1, per_page: int = 20, cursor: str | None = None) -> dict:
    """One page of the actor's assets (private: never cached across users)."""
    params: dict[str, Any] = {"owner_id": actor.id, "limit": per_page + 1}
    if cursor:
        params["last_created"], params["last_id"] = decode_cursor(cursor, SORT, (cursor_datetime, _cursor_uuid))
        statement, page_number = KEYSET_PAGE, None
    else:
        params["offset"] = (page - 1) * per_page
        statement, page_number = OFFSET_PAGE, page
    with read_connection(db.engine) as conn:
        rows = conn.execute(statement, params).all()
        total = rows[0].total if rows else conn.execute(COUNT, params).scalar_one()
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        next_cursor = encode_cursor(SORT, [rows[-1].created_at.isoformat(), rows[-1].id])
    return envelope([asset_out(r) for r in rows], page_number, per_page, total, next_cursor)
