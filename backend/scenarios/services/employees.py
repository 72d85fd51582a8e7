"""AI employees: create, read, list, configure (PATCH), pause/resume and delete; owner only.

Visibility: an employee (and its runs) is seen by its owner alone; anyone else, administrators
included, gets 404 (its configuration may hold the owner's business details). Per-user data, so
nothing here is cached (responses are `private`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update

from backend.common.actor import Actor
from backend.common.models import utcnow
from backend.common.pagination import cursor_id, decode_cursor, encode_cursor, envelope
from backend.database import write_transaction
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.extensions import db
from backend.scenarios.models import AIEmployee, EmployeeStatus, Scenario

ACTIVE, PAUSED = (s.value for s in EmployeeStatus)
E = AIEmployee
COLUMNS = (E.id, E.owner_id, E.name, E.role, E.scenario_id, Scenario.name.label("scenario_name"), E.config, E.status,
           E.runs_count, E.created_at, E.updated_at)


def employee_item(row: Any) -> dict:
    """An employee row (COLUMNS) as its owner sees it."""
    return {"id": row.id, "name": row.name, "role": row.role, "scenario_id": row.scenario_id,
            "scenario_name": row.scenario_name, "config": row.config, "status": row.status,
            "runs_count": row.runs_count, "created_at": row.created_at, "updated_at": row.updated_at}


def _joined() -> Any:
    return select(*COLUMNS).join(Scenario, Scenario.id == E.scenario_id)


def not_found() -> NotFound:
    """The one answer for a missing employee and for someone else's."""
    return NotFound("AI employee not found", code="employee_not_found")


def _scenario_exists(session: Any, scenario_id: int) -> None:
    if session.execute(select(Scenario.id).where(Scenario.id == scenario_id)).first() is None:
        raise ValidationFailed("request body is invalid", {"location": "body", "fields": {
            "scenario_id": "no scenario with this id"}})


def _owned_row(session: Any, actor: Actor, employee_id: int) -> Any:
    row = session.execute(_joined().where(E.id == employee_id)).first()
    if row is None or row.owner_id != actor.id:
        raise not_found()
    return row


def create_employee(actor: Actor, name: str, role: str, scenario_id: int, config: dict[str, Any]) -> dict:
    """A new active employee of `actor` working through `scenario_id`."""
    now = utcnow()
    with write_transaction(db.session) as session:
        _scenario_exists(session, scenario_id)
        employee_id = session.execute(insert(E).values(
            owner_id=actor.id, name=name, role=role, scenario_id=scenario_id, config=config, status=ACTIVE,
            runs_count=0, created_at=now, updated_at=now).returning(E.id)).scalar_one()
        return employee_item(_owned_row(session, actor, employee_id))


def get_employee(actor: Actor, employee_id: int) -> dict:
    """One of my employees; 404 otherwise."""
    return employee_item(_owned_row(db.session, actor, employee_id))


def list_employees(actor: Actor, *, page: int = 1, per_page: int = 20, cursor: str | None = None) -> dict:
    """My employees, newest first (two statements: page and total)."""
    query = _joined().where(E.owner_id == actor.id)
    page_number: int | None = page
    if cursor:
        (last_id,) = decode_cursor(cursor, "employees", (cursor_id,))
        query, page_number = query.where(E.id < last_id), None
    else:
        query = query.offset((page - 1) * per_page)
    rows = db.session.execute(query.order_by(E.id.desc()).limit(per_page + 1)).all()
    total = db.session.execute(select(func.count()).select_from(E).where(E.owner_id == actor.id)).scalar_one()
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        next_cursor = encode_cursor("employees", [rows[-1].id])
    return envelope([employee_item(r) for r in rows], page_number, per_page, total, next_cursor)


def update_employee(actor: Actor, employee_id: int, changes: dict[str, Any]) -> dict:
    """Rename, re-role, move to another scenario or replace the configuration."""
    with write_transaction(db.session) as session:
        _owned_row(session, actor, employee_id)
        if "scenario_id" in changes:
            _scenario_exists(session, changes["scenario_id"])
        if changes:
            session.execute(update(E).where(E.id == employee_id).values(**changes, updated_at=utcnow()))
        return employee_item(_owned_row(session, actor, employee_id))


def set_status(actor: Actor, employee_id: int, status: str) -> dict:
    """Pause or resume; pausing a paused employee (or resuming an active one) is a 409."""
    with write_transaction(db.session) as session:
        row = _owned_row(session, actor, employee_id)
        done = session.execute(update(E).where(E.id == employee_id, E.status != status)
                               .values(status=status, updated_at=utcnow())).rowcount
        if not done:
            raise Conflict(f"the employee is already {row.status}", {"status": row.status}, code="illegal_transition")
        return employee_item(_owned_row(session, actor, employee_id))


def delete_employee(actor: Actor, employee_id: int) -> None:
    """Delete one of my employees and its runs (their jobs stay, for the record)."""
    with write_transaction(db.session) as session:
        _owned_row(session, actor, employee_id)
        session.execute(delete(E).where(E.id == employee_id))
