"""Chef listing (filters, sorts, offset or keyset pages), detail with latest reviews, and edits.

Reads select the columns they return (no ORM hydration) and issue a constant number of
statements: list = page + count, detail = chef + reviews.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, tuple_, update

from backend.auth.models import User
from backend.common.cache import invalidate
from backend.common.pagination import decode_cursor, encode_cursor, envelope, invalid_cursor
from backend.coocook.models import Chef, Review
from backend.database import write_transaction
from backend.errors import NotFound
from backend.extensions import db

# sort name -> (column, descending)
SORTS = {
    "rating": (Chef.rating, False),
    "-rating": (Chef.rating, True),
    "price": (Chef.price_per_session, False),
    "-price": (Chef.price_per_session, True),
    "newest": (Chef.created_at, True),
}
LIST_COLUMNS = (Chef.id, Chef.name, Chef.cuisine_type, Chef.location, Chef.price_per_session, Chef.rating,
                Chef.rating_count, Chef.booking_count)
DETAIL_COLUMNS = (*LIST_COLUMNS, Chef.bio, Chef.is_active, Chef.user_id, Chef.created_at)
LATEST_REVIEWS = 5


def chef_item(row: Any) -> dict:
    """A chef row as the list shows it."""
    return {"id": row.id, "name": row.name, "cuisine_type": row.cuisine_type, "location": row.location,
            "price_per_session": row.price_per_session, "rating": round(row.rating, 2),
            "rating_count": row.rating_count, "booking_count": row.booking_count}


def _filters(cuisine: str | None, location: str | None, min_rating: float | None,
             max_price: float | None) -> list:
    conditions = [Chef.is_active.is_(True)]
    if cuisine:
        conditions.append(func.lower(Chef.cuisine_type) == cuisine.lower())
    if location:
        conditions.append(func.lower(Chef.location) == location.lower())
    if min_rating is not None:
        conditions.append(Chef.rating >= min_rating)
    if max_price is not None:
        conditions.append(Chef.price_per_session <= max_price)
    return conditions


def _parse_cursor_value(column, value: Any) -> Any:
    """The cursor's sort value as the column's type; anything odd is a 422 on `cursor`."""
    try:
        if column is Chef.created_at:
            return dt.datetime.fromisoformat(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    except (TypeError, ValueError):
        pass
    raise invalid_cursor()


def list_chefs(*, cuisine: str | None = None, location: str | None = None, min_rating: float | None = None,
               max_price: float | None = None, sort: str = "-rating", page: int = 1, per_page: int = 20,
               cursor: str | None = None) -> dict:
    """One page of active chefs; with `cursor`, a keyset page whose cost does not grow with depth."""
    column, descending = SORTS[sort]
    conditions = _filters(cuisine, location, min_rating, max_price)
    query = select(*LIST_COLUMNS, column.label("sort_key")).where(*conditions)
    if cursor:
        last_value, last_id = decode_cursor(cursor, sort, 2)
        key = tuple_(column, Chef.id)
        if not isinstance(last_id, int):
            raise invalid_cursor()
        bound = tuple_(_parse_cursor_value(column, last_value), last_id)
        query = query.where(key < bound if descending else key > bound)
        page_number = None
    else:
        query = query.offset((page - 1) * per_page)
        page_number = page
    order = (column.desc(), Chef.id.desc()) if descending else (column.asc(), Chef.id.asc())
    rows = db.session.execute(query.order_by(*order).limit(per_page + 1)).all()
    total = db.session.execute(select(func.count()).select_from(Chef).where(*conditions)).scalar_one()
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        last = rows[-1]
        value = last.sort_key.isoformat() if column is Chef.created_at else last.sort_key
        next_cursor = encode_cursor(sort, [value, last.id])
    return envelope([chef_item(r) for r in rows], page_number, per_page, total, next_cursor)


def get_chef(chef_id: int) -> dict:
    """An active chef with its 5 latest reviews (with reviewer names) and booking count."""
    row = db.session.execute(select(*DETAIL_COLUMNS).where(Chef.id == chef_id, Chef.is_active.is_(True))).first()
    if row is None:
        raise NotFound("chef not found", code="chef_not_found")
    reviews = db.session.execute(
        select(Review.id, Review.rating, Review.comment, Review.created_at, User.name.label("reviewer_name"))
        .join(User, User.id == Review.user_id)
        .where(Review.chef_id == chef_id)
        .order_by(Review.created_at.desc(), Review.id.desc()).limit(LATEST_REVIEWS)).all()
    return {**chef_item(row), "bio": row.bio, "created_at": row.created_at,
            "latest_reviews": [{"id": r.id, "rating": r.rating, "comment": r.comment, "created_at": r.created_at,
                                "reviewer_name": r.reviewer_name} for r in reviews]}


def update_chef(actor: Any, chef_id: int, changes: dict) -> dict:
    """Edit a chef profile: its owner or an admin; anyone else sees 404. Invalidates its caches."""
    with write_transaction(db.session) as session:
        owner = session.execute(select(Chef.user_id).where(Chef.id == chef_id)).first()
        if owner is None or (actor.role != "admin" and owner.user_id != actor.id):
            raise NotFound("chef not found", code="chef_not_found")
        if changes:
            session.execute(update(Chef).where(Chef.id == chef_id).values(**changes))
        row = session.execute(select(*DETAIL_COLUMNS).where(Chef.id == chef_id)).one()
    invalidate("chefs", f"chef:{chef_id}")
    return {**chef_item(row), "bio": row.bio, "is_active": row.is_active, "created_at": row.created_at}
