"""The public scenario catalogue: a list (category filter, keyset pages) and a scenario with its steps.

Each read is one Core statement on a pooled connection (the page carries its total as an
uncorrelated scalar subquery), whatever the page size. The catalogue changes only by seeding
(`flask seed` invalidates every namespace), so its cached responses live until then.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Text, bindparam, cast, func, select
from sqlalchemy.sql import Select

from backend.common.pagination import cursor_id, decode_cursor, encode_cursor, envelope
from backend.database import read_connection
from backend.errors import NotFound
from backend.extensions import db
from backend.scenarios.models import Scenario

S = Scenario.__table__.c
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]{0,39})\}")
# Filled by every run itself: {input} is the run's input, {tone} the employee's configured tone.
RUN_PLACEHOLDERS = frozenset({"input", "tone"})
COLUMNS = (S.id, S.slug, S.category, S.name, S.description, S.steps)
# The list shows each scenario's step count and variables, not its steps: it reads the steps as the
# stored text and derives both once per distinct text (the catalogue changes only by seeding).
# Measured in process on SCALE=large SQLite, a page of 20: cProfile of 500 requests put ~180 of the
# list's 582 us (scripts.inproc) in decoding the 20 JSON documents and scanning their instructions;
# after, scripts.inproc measured the list at 0.72x the chef list's CPU (1.20x before).
LIST_COLUMNS = (S.id, S.slug, S.category, S.name, S.description, cast(S.steps, Text).label("steps_text"))


def variables_of(steps: list[dict[str, Any]]) -> list[str]:
    """The placeholders an employee's config fills (not {input}/{tone}), in first-use order."""
    return list(dict.fromkeys(name for step in steps for name in PLACEHOLDER.findall(step.get("instruction", ""))
                              if name not in RUN_PLACEHOLDERS))


@lru_cache(maxsize=4096)
def _summary(steps_text: str) -> tuple[int, tuple[str, ...]]:
    """(step count, variables) of a scenario's stored steps."""
    steps = orjson.loads(steps_text)
    return len(steps), tuple(variables_of(steps))


def list_item(row: Any) -> dict:
    """A scenario row (LIST_COLUMNS) as the catalogue's list shows it."""
    id_, slug, category, name, description, steps_text = row
    step_count, variables = _summary(steps_text)
    return {"id": id_, "slug": slug, "category": category, "name": name, "description": description,
            "step_count": step_count, "variables": list(variables)}


def scenario_item(row: Any) -> dict:
    """A scenario row (COLUMNS) as its page shows it: the list's fields and the steps."""
    return {"id": row.id, "slug": row.slug, "category": row.category, "name": row.name,
            "description": row.description, "step_count": len(row.steps), "variables": variables_of(row.steps),
            "steps": row.steps}


@lru_cache(maxsize=8)
def _page_statement(category: bool, keyset: bool) -> Select:
    """One page (id order; the (category, id) index when filtered) with `total` as a last column."""
    conditions = [S.category == bindparam("category")] if category else []
    total = select(func.count()).select_from(Scenario.__table__).where(*conditions).scalar_subquery().label("total")
    page = select(*LIST_COLUMNS, total).where(*conditions)
    page = page.where(S.id > bindparam("last_id")) if keyset else page.offset(bindparam("offset"))
    return page.order_by(S.id).limit(bindparam("limit"))


def list_scenarios(*, category: str | None = None, page: int = 1, per_page: int = 20,
                   cursor: str | None = None) -> dict:
    """One page of the catalogue, optionally one category (categories are lower-case slugs; input is lowered)."""
    params: dict[str, Any] = {"limit": per_page + 1}
    if category:
        params["category"] = category.lower()
    page_number: int | None = page
    if cursor:
        (params["last_id"],) = decode_cursor(cursor, "scenarios", (cursor_id,))
        page_number = None
    else:
        params["offset"] = (page - 1) * per_page
    statement = _page_statement(bool(category), bool(cursor))
    with read_connection(db.engine) as conn:
        rows = conn.execute(statement, params).all()
        total = rows[0].total if rows else conn.execute(
            select(func.count()).select_from(Scenario.__table__).where(
                *([S.category == params["category"]] if category else []))).scalar_one()
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        next_cursor = encode_cursor("scenarios", [rows[-1].id])
    return envelope([list_item(r[:6]) for r in rows], page_number, per_page, total, next_cursor)


def get_scenario(scenario_id: int) -> dict:
    """A scenario with its steps; 404 when there is none."""
    with read_connection(db.engine) as conn:
        row = conn.execute(select(*COLUMNS).where(S.id == scenario_id)).first()
    if row is None:
        raise NotFound("scenario not found", code="scenario_not_found")
    return scenario_item(row)
