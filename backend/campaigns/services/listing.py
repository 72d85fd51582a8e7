"""The public list of open campaigns (filters, sorts, offset or keyset pages) and a campaign's page.

The hot read path, built the way the chef list is (backend/coocook/services/chefs.py, whose
measurements apply here too): statements are built once per *shape* (sort, which filters are
present, offset or keyset, dialect) with bound parameters, as Core selects on the tables (no ORM
compile step, no hydration), run on a pooled connection of their own (database.read_connection).
Statement counts stay constant: a page is ONE statement whatever the page size, its `total` riding
in it as a last column: the maintained open count of campaign_counters when unfiltered (a
primary-key read: counting ~60k open campaigns would be an index scan of milliseconds per
request), else an uncorrelated count over the same conditions (evaluated once, same snapshot).
The total needs a second statement only when the page comes back empty. Detail = one statement
(the campaign joined to its owner's name), prepared on PostgreSQL.

Keyset pages: PostgreSQL seeks the row value `(sort, id) > (?, ?)` on the (status, sort, id)
index; SQLite only seeks its first column and would scan a whole tie group (thousands of
campaigns share a reward), so there a page is two index seeks joined by UNION ALL:
`(sort = last AND id past last id)`, then `(sort past last)`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, select, tuple_, union_all
from sqlalchemy.sql import Select

from backend.assets.references import asset_urls
from backend.auth.models import User
from backend.campaigns.models import Campaign, CampaignCounter, CampaignStatus
from backend.common.pagination import cursor_datetime, cursor_id, decode_cursor, encode_cursor, envelope
from backend.common.validation import DB_INT_MAX
from backend.database import PREPARED, read_connection
from backend.errors import NotFound
from backend.extensions import db

C = Campaign.__table__.c
USERS = User.__table__.c
COUNTERS = CampaignCounter.__table__.c
OPEN = CampaignStatus.OPEN.value
PUBLIC = (CampaignStatus.OPEN.value, CampaignStatus.CLOSED.value)  # drafts are their owner's alone

# sort name -> (column, descending)
SORTS = {
    "deadline": (C.deadline, False),
    "-deadline": (C.deadline, True),
    "reward": (C.reward, False),
    "-reward": (C.reward, True),
    "newest": (C.created_at, True),
}
FILTERS = ("brand", "min_reward", "max_reward", "deadline_after", "deadline_before")
LIST_COLUMNS = (C.id, C.title, C.brand, C.product, C.reward, C.slots, C.approved_count, C.deadline, C.status,
                C.created_at, C.image_asset_id)
DETAIL_COLUMNS = (*LIST_COLUMNS, C.description, C.applications_count, C.owner_id, C.updated_at,
                  USERS.name.label("owner_name"))
CAMPAIGN_DETAIL = (
    select(*DETAIL_COLUMNS).select_from(Campaign.__table__.join(User.__table__, USERS.id == C.owner_id))
    .where(C.id == bindparam("campaign_id"), C.status.in_(PUBLIC))
    # Planned once per connection on PostgreSQL: one right plan (the primary key) for every id.
    .execution_options(**{PREPARED: True}))


def cursor_int(value: Any) -> int:
    """An integer sort value (a reward) in a cursor: an int, not a bool, in the column range."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= DB_INT_MAX:
        return value
    raise ValueError("not an integer")


def campaign_item(row: Any) -> dict:
    """A campaign row (LIST_COLUMNS first) as the list shows it."""
    # By position, as chef_item (scripts.inproc on SCALE=large SQLite: the list's CPU went from 1.09x
    # to 0.80x the chef list's; cProfile had put 144 of its ~530 us in this function, by name).
    id_, title, brand, product, reward, slots, approved, deadline, status, created_at, image = row[:11]
    return {"id": id_, "title": title, "brand": brand, "product": product, "reward": reward, "slots": slots,
            "approved_count": approved, "deadline": deadline, "status": status, "created_at": created_at,
            "image_asset_id": image, "image_url": asset_urls(image)["url"]}


def detail_item(row: Any) -> dict:
    """A campaign row (DETAIL_COLUMNS) as its page shows it."""
    return {**campaign_item(row), "description": row.description, "applications_count": row.applications_count,
            "owner_id": row.owner_id, "owner_name": row.owner_name, "updated_at": row.updated_at}


def _conditions(present: tuple[bool, ...]) -> list[tuple[Any, Any]]:
    """(column, WHERE term) for the filters that are present (FILTERS order); values bound at execution."""
    brand, min_reward, max_reward, after, before = present
    conditions: list[tuple[Any, Any]] = [(C.status, C.status == OPEN)]
    if brand:
        conditions.append((C.brand, func.lower(C.brand) == bindparam("brand")))
    if min_reward:
        conditions.append((C.reward, C.reward >= bindparam("min_reward", type_=C.reward.type)))
    if max_reward:
        conditions.append((C.reward, C.reward <= bindparam("max_reward", type_=C.reward.type)))
    if after:
        conditions.append((C.deadline, C.deadline >= bindparam("deadline_after", type_=C.deadline.type)))
    if before:
        conditions.append((C.deadline, C.deadline <= bindparam("deadline_before", type_=C.deadline.type)))
    return conditions


@lru_cache(maxsize=1024)  # 5 sorts x 32 filter sets x 2 page kinds x 2 dialects = 640 shapes at most
def list_statements(sort: str, present: tuple[bool, ...], keyset: bool, dialect: str) -> tuple[Select, Select]:
    """(page, count) statements for one query shape, built once; the page carries `total`."""
    column, descending = SORTS[sort]
    terms = _conditions(present)
    conditions = [term for _, term in terms]
    if any(present):
        count = select(func.count()).select_from(Campaign.__table__).where(*conditions)
        total = count.scalar_subquery().label("total")
    else:
        maintained = func.coalesce(select(COUNTERS.open_count).where(COUNTERS.id == 1).scalar_subquery(), 0)
        count, total = select(maintained), maintained.label("total")
    columns = (*LIST_COLUMNS, column.label("sort_key"))
    limit = bindparam("limit")
    if descending:
        order, past = (column.desc(), C.id.desc()), (lambda a, b: a < b)
    else:
        order, past = (column.asc(), C.id.asc()), (lambda a, b: a > b)
    if keyset and dialect == "postgresql":
        bound = tuple_(bindparam("last_value", type_=column.type), bindparam("last_id"))
        page = (select(*columns, total).where(*conditions, past(tuple_(column, C.id), bound))
                .order_by(*order).limit(limit))
    elif keyset:
        last_value = bindparam("last_value", type_=column.type)
        # The tie branch drops the range filters on the sort column itself: `column = last` already
        # implies them, and with both SQLite seeks the range and sorts it instead of seeking the tie.
        others = [term for col, term in terms if col is not column]
        same = (select(*columns).where(*others, column == last_value, past(C.id, bindparam("last_id")))
                .order_by(*order).limit(limit).subquery())
        beyond = select(*columns).where(*conditions, past(column, last_value)).order_by(*order).limit(limit).subquery()
        both = union_all(select(same), select(beyond)).subquery()
        keys = (both.c.sort_key.desc(), both.c.id.desc()) if descending else (both.c.sort_key.asc(), both.c.id.asc())
        page = select(both, total).order_by(*keys).limit(limit)
    else:
        page = select(*columns, total).where(*conditions).order_by(*order).limit(limit).offset(bindparam("offset"))
    if dialect == "postgresql" and not any(present):
        # One right plan whatever the LIMIT/OFFSET/keyset values (the sort's index): prepared, planned
        # once per connection. Filtered shapes are not: the best index depends on the values.
        page = page.execution_options(**{PREPARED: True})
    return page, count


def list_campaigns(*, brand: str | None = None, min_reward: int | None = None, max_reward: int | None = None,
                   deadline_after: Any = None, deadline_before: Any = None, sort: str = "deadline", page: int = 1,
                   per_page: int = 20, cursor: str | None = None) -> dict:
    """One page of open campaigns; with `cursor`, a keyset page whose cost does not grow with depth."""
    column, _descending = SORTS[sort]
    values = {"brand": brand.lower() if brand else None, "min_reward": min_reward, "max_reward": max_reward,
              "deadline_after": deadline_after, "deadline_before": deadline_before}
    params: dict[str, Any] = {k: v for k, v in values.items() if v is not None}
    params["limit"] = per_page + 1
    is_time = column is not C.reward
    if cursor:
        kind = cursor_datetime if is_time else cursor_int
        params["last_value"], params["last_id"] = decode_cursor(cursor, sort, (kind, cursor_id))
        page_number = None
    else:
        params["offset"] = (page - 1) * per_page
        page_number = page
    present = tuple(values[name] is not None for name in FILTERS)
    engine = db.engine
    page_stmt, count_stmt = list_statements(sort, present, bool(cursor), engine.dialect.name)
    with read_connection(engine) as conn:
        rows = conn.execute(page_stmt, params).all()
        total = rows[0].total if rows else conn.execute(count_stmt, params).scalar_one()
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        last = rows[-1]
        next_cursor = encode_cursor(sort, [last.sort_key.isoformat() if is_time else last.sort_key, last.id])
    return envelope([campaign_item(r) for r in rows], page_number, per_page, total, next_cursor)


def get_campaign(campaign_id: int) -> dict:
    """An open or closed campaign's page (drafts are 404: only their owner sees them, under /mine)."""
    with read_connection(db.engine) as conn:
        row = conn.execute(CAMPAIGN_DETAIL, {"campaign_id": campaign_id}).first()
    if row is None:
        raise NotFound("campaign not found", code="campaign_not_found")
    return detail_item(row)
