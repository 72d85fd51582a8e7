"""Chef listing (filters, sorts, offset or keyset pages), detail with latest reviews, and edits.

Reads are the hot path, so they avoid what costs time per request in SQLAlchemy: statements are
built once per *shape* (sort, which filters are present, offset or keyset) with bound parameters
and reused, so a request pays neither expression construction nor cache-key generation; they
are Core selects on the tables (no ORM compile step, no hydration) run on a pooled connection of
their own (database.read_connection: one short read; the ORM session's bookkeeping costs ~30 us
a request, and on PostgreSQL a BEGIN/ROLLBACK pair costs two round trips).
Statement counts stay constant: list = page + total (one statement when filtered, and always on
PostgreSQL), detail = one statement (the chef joined to its latest reviews).
On PostgreSQL the unfiltered total is the maintained count of chef_counters (models.ChefCounter),
and the detail and unfiltered page statements run as prepared statements (planning cost more
than running them); measurements in docs/performance.md.

Keyset pages on SQLite are two index seeks joined by UNION ALL, `(sort = last AND id past last
id)` then `(sort past last)`, rather than a row-value comparison: SQLite only seeks on the first
column of `(sort, id) < (?, ?)` and then scans the whole tie group, so a deep page inside a large
tie (e.g. thousands of unrated chefs at rating 0) would cost O(depth). Each branch is a range seek
on the (is_active, sort, id) index. PostgreSQL seeks the row-value comparison itself, so there it
is used as is.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, select, true, tuple_, union_all, update
from sqlalchemy.sql import Select

from backend.assets.references import asset_urls, check_reference
from backend.auth.models import User
from backend.caching import invalidate
from backend.common.actor import Actor
from backend.common.pagination import cursor_datetime, cursor_id, cursor_number, decode_cursor, encode_cursor, envelope
from backend.coocook.models import Chef, ChefCounter, Review
from backend.database import PREPARED, read_connection, write_transaction
from backend.errors import NotFound
from backend.extensions import db

CHEFS = Chef.__table__.c
REVIEWS = Review.__table__.c
USERS = User.__table__.c
COUNTERS = ChefCounter.__table__.c

# sort name -> (column, descending)
SORTS = {
    "rating": (CHEFS.rating, False),
    "-rating": (CHEFS.rating, True),
    "price": (CHEFS.price_per_session, False),
    "-price": (CHEFS.price_per_session, True),
    "newest": (CHEFS.created_at, True),
}
LIST_COLUMNS = (CHEFS.id, CHEFS.name, CHEFS.cuisine_type, CHEFS.location, CHEFS.price_per_session, CHEFS.rating,
                CHEFS.rating_count, CHEFS.booking_count, CHEFS.avatar_asset_id)
DETAIL_COLUMNS = (*LIST_COLUMNS, CHEFS.bio, CHEFS.is_active, CHEFS.user_id, CHEFS.created_at)
LATEST_REVIEWS = 5

# Detail in one statement: the chef LEFT JOIN its 5 latest reviews (a LIMITed subquery on the
# reviews index, run once), so a chef without reviews is one row with NULL review columns. The
# join's row order is not guaranteed, so the (at most 5) reviews are ordered in Python.
_LATEST = (
    select(REVIEWS.id.label("review_id"), REVIEWS.rating.label("review_rating"), REVIEWS.comment,
           REVIEWS.created_at.label("reviewed_at"), USERS.name.label("reviewer_name"))
    .select_from(Review.__table__.join(User.__table__, USERS.id == REVIEWS.user_id))
    .where(REVIEWS.chef_id == bindparam("chef_id"))
    .order_by(REVIEWS.created_at.desc(), REVIEWS.id.desc()).limit(LATEST_REVIEWS).subquery("latest"))
CHEF_DETAIL = (
    select(*DETAIL_COLUMNS, _LATEST)
    .select_from(Chef.__table__.outerjoin(_LATEST, true()))
    .where(CHEFS.id == bindparam("chef_id"), CHEFS.is_active.is_(True))
    # Planned once per connection on PostgreSQL (planning cost more than running it; database.py).
    .execution_options(**{PREPARED: True}))


def chef_item(row: Any) -> dict:
    """A chef row (LIST_COLUMNS first) as the list shows it."""
    id_, name, cuisine_type, location, price, rating, rating_count, booking_count, avatar = row[:9]
    return {"id": id_, "name": name, "cuisine_type": cuisine_type, "location": location,
            "price_per_session": price, "rating": round(rating, 2), "rating_count": rating_count,
            "booking_count": booking_count, "avatar_asset_id": avatar, "avatar_url": asset_urls(avatar)["url"]}


def _conditions(cuisine: bool, location: bool, min_rating: bool, max_price: bool) -> list:
    """WHERE terms for the filters that are present; values are bound at execution."""
    conditions = [CHEFS.is_active.is_(True)]
    if cuisine:
        conditions.append(func.lower(CHEFS.cuisine_type) == bindparam("cuisine"))
    if location:
        conditions.append(func.lower(CHEFS.location) == bindparam("location"))
    if min_rating:
        conditions.append(CHEFS.rating >= bindparam("min_rating", type_=CHEFS.rating.type))
    if max_price:
        conditions.append(CHEFS.price_per_session <= bindparam("max_price", type_=CHEFS.price_per_session.type))
    return conditions


@lru_cache(maxsize=512)  # 5 sorts x 16 filter sets x 2 page kinds x 2 dialects = 320 shapes at most
def _list_statements(sort: str, filters: tuple[bool, bool, bool, bool], keyset: bool,
                     dialect: str = "sqlite") -> tuple[Select, Select]:
    """(page, count) statements for one query shape, built once.

    A filtered page carries its total as a last column (an uncorrelated scalar subquery: evaluated
    once, in the same statement and snapshot), so it is one statement, and `count` runs only when
    the page comes back empty. On PostgreSQL the unfiltered total is the maintained counter, also
    inside the page statement. On SQLite it stays a statement of its own: it reads every chef
    (cheaply, see below), and the query-plan tests allow exactly that one statement to.
    """
    column, descending = SORTS[sort]
    conditions = _conditions(*filters)
    if any(filters):
        count = select(func.count()).select_from(Chef.__table__).where(*conditions)
        extra = (count.scalar_subquery().label("total"),)
    elif dialect == "postgresql":
        # PostgreSQL has no O(1) count: counting 10k active chefs was an index-only scan of ~0.8 ms
        # per request. The maintained counter (chef_counters, kept by triggers in the writing
        # transaction, so exact in this statement's snapshot) is one primary-key read riding in the
        # page statement; no row (after a TRUNCATE) means no chefs.
        maintained = func.coalesce(select(COUNTERS.active).where(COUNTERS.id == 1).scalar_subquery(), 0)
        count = select(maintained)
        extra = (maintained.label("total"),)
    else:
        # All active chefs = all chefs - inactive ones. SQLite answers a bare count(*) from b-tree page
        # counts and the inactive few by an index seek (~10 us), where counting ~10k active index
        # entries one by one costs ~250 us per request.
        every = select(func.count()).select_from(Chef.__table__).scalar_subquery()
        inactive = select(func.count()).select_from(Chef.__table__).where(CHEFS.is_active.is_(False))
        count = select(every - inactive.scalar_subquery())
        extra = ()
    columns = (*LIST_COLUMNS, column.label("sort_key"))
    limit = bindparam("limit")
    if descending:
        order, past = (column.desc(), CHEFS.id.desc()), (lambda a, b: a < b)
    else:
        order, past = (column.asc(), CHEFS.id.asc()), (lambda a, b: a > b)
    if keyset and dialect == "postgresql":
        # PostgreSQL seeks a row-value comparison on (sort, id) natively: one index range scan,
        # and a plan in a tenth of the time the UNION ALL form below takes to plan.
        bound = tuple_(bindparam("last_value", type_=column.type), bindparam("last_id"))
        page = (select(*columns, *extra).where(*conditions, past(tuple_(column, CHEFS.id), bound))
                .order_by(*order).limit(limit))
    elif keyset:
        last_value = bindparam("last_value", type_=column.type)
        same = (select(*columns).where(*conditions, column == last_value, past(CHEFS.id, bindparam("last_id")))
                .order_by(*order).limit(limit).subquery())
        beyond = select(*columns).where(*conditions, past(column, last_value)).order_by(*order).limit(limit).subquery()
        both = union_all(select(same), select(beyond)).subquery()
        keys = (both.c.sort_key.desc(), both.c.id.desc()) if descending else (both.c.sort_key.asc(), both.c.id.asc())
        page = select(both, *extra).order_by(*keys).limit(limit)
    else:
        page = select(*columns, *extra).where(*conditions).order_by(*order).limit(limit).offset(bindparam("offset"))
    if dialect == "postgresql" and not any(filters):
        # One right plan whatever the LIMIT/OFFSET/keyset values: prepared, planned once per connection
        # (0.12 -> 0.057 ms a page; database.execute_prepared). Filters' best index depends on values.
        page = page.execution_options(**{PREPARED: True})
    return page, count


def list_chefs(*, cuisine: str | None = None, location: str | None = None, min_rating: float | None = None,
               max_price: float | None = None, sort: str = "-rating", page: int = 1, per_page: int = 20,
               cursor: str | None = None) -> dict:
    """One page of active chefs; with `cursor`, a keyset page whose cost does not grow with depth."""
    column, _descending = SORTS[sort]
    params: dict[str, Any] = {"limit": per_page + 1}
    if cuisine:
        params["cuisine"] = cuisine.lower()
    if location:
        params["location"] = location.lower()
    if min_rating is not None:
        params["min_rating"] = min_rating
    if max_price is not None:
        params["max_price"] = max_price
    if cursor:
        kind = cursor_datetime if column is CHEFS.created_at else cursor_number
        params["last_value"], params["last_id"] = decode_cursor(cursor, sort, (kind, cursor_id))
        page_number = None
    else:
        params["offset"] = (page - 1) * per_page
        page_number = page
    filters = (bool(cuisine), bool(location), min_rating is not None, max_price is not None)
    engine = db.engine
    page_stmt, count_stmt = _list_statements(sort, filters, bool(cursor), engine.dialect.name)
    with read_connection(engine) as conn:
        rows = conn.execute(page_stmt, params).all()
        total = rows[0].total if rows and "total" in rows[0]._fields else conn.execute(count_stmt, params).scalar_one()
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        last = rows[-1]
        value = last.sort_key.isoformat() if column is CHEFS.created_at else last.sort_key
        next_cursor = encode_cursor(sort, [value, last.id])
    return envelope([chef_item(r) for r in rows], page_number, per_page, total, next_cursor)


def get_chef(chef_id: int) -> dict:
    """An active chef with its 5 latest reviews (with reviewer names) and booking count."""
    with read_connection(db.engine) as conn:
        rows = conn.execute(CHEF_DETAIL, {"chef_id": chef_id}).all()
    if not rows:
        raise NotFound("chef not found", code="chef_not_found")
    row = rows[0]
    reviews = sorted((r for r in rows if r.review_id is not None), key=lambda r: (r.reviewed_at, r.review_id),
                     reverse=True)
    return {**chef_item(row), "bio": row.bio, "created_at": row.created_at,
            "latest_reviews": [{"id": r.review_id, "rating": r.review_rating, "comment": r.comment,
                                "created_at": r.reviewed_at, "reviewer_name": r.reviewer_name} for r in reviews]}


def forget_avatar(asset_id: str, owner_id: int) -> None:
    """`asset_deleted` hook: the FK cleared the avatar (SET NULL); drop the cached pages that showed it.

    An avatar is always an asset of the chef's own account, so the chef is the one the owner has.
    """
    with read_connection(db.engine) as conn:
        chef_id = conn.execute(select(CHEFS.id).where(CHEFS.user_id == owner_id)).scalar()
    if chef_id is not None:
        invalidate("chefs", f"chef:{chef_id}")


def update_chef(actor: Actor, chef_id: int, changes: dict) -> dict:
    """Edit a chef profile: its owner or an admin; anyone else sees 404. Invalidates its caches."""
    with write_transaction(db.session) as session:
        owner = session.execute(select(Chef.user_id).where(Chef.id == chef_id)).first()
        if owner is None or (not actor.is_admin and owner.user_id != actor.id):
            raise NotFound("chef not found", code="chef_not_found")
        if "avatar_asset_id" in changes:  # an image asset of the chef's own account (422 otherwise)
            changes["avatar_asset_id"] = check_reference(session, actor, changes["avatar_asset_id"], owner.user_id,
                                                         "avatar_asset_id")
        if changes:
            session.execute(update(Chef).where(Chef.id == chef_id).values(**changes))
        row = session.execute(select(*DETAIL_COLUMNS).where(Chef.id == chef_id)).one()
    invalidate("chefs", f"chef:{chef_id}")
    return {**chef_item(row), "bio": row.bio, "is_active": row.is_active, "created_at": row.created_at}
