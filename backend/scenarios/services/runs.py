"""Runs of an AI employee: start one (row + job), read them, and the job's writes to its run.

Visibility follows the employee: its owner alone (others 404). A run's status is read with its
job's (`effective_status`): `failed` when the job ended without the handler saying so (cancelled,
a worker that died on the last attempt), `running` again while an operator re-runs a failed one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update

from backend.common.actor import Actor
from backend.common.domain import API_PREFIX
from backend.common.events import publish
from backend.common.models import utcnow
from backend.common.pagination import cursor_id, decode_cursor, encode_cursor, envelope
from backend.database import write_transaction
from backend.errors import Conflict, NotFound
from backend.extensions import db
from backend.jobs.models import Job, JobStatus
from backend.jobs.services import enqueue
from backend.scenarios.models import AIEmployee, AIEmployeeRun, EmployeeStatus, RunStatus, Scenario
from backend.scenarios.services.employees import not_found

KIND = "scenarios.run"
QUEUED, RUNNING, SUCCEEDED, FAILED = (s.value for s in RunStatus)
ENDED = {JobStatus.FAILED.value, JobStatus.CANCELLED.value}
ACTIVE = {JobStatus.QUEUED.value, JobStatus.RUNNING.value}
R = AIEmployeeRun
COLUMNS = (R.id, R.employee_id, R.status, R.input, R.generator, R.outputs, R.error_code, R.job_id, R.created_at,
           R.finished_at, Job.status.label("job_status"), Job.progress.label("job_progress"),
           Job.error_code.label("job_error_code"), Job.error_message.label("job_error_message"))


def run_path(employee_id: int, run_id: int) -> str:
    """The run's URL path (also built in the worker, where there is no request)."""
    return f"{API_PREFIX}/ai-employees/{employee_id}/runs/{run_id}"


def effective_status(status: str, job_status: str | None) -> str:
    """The run's status as its job stands (see the module doc)."""
    if status in (QUEUED, RUNNING) and job_status in ENDED:
        return FAILED
    if status == FAILED and job_status in ACTIVE:
        return RUNNING
    return status


def run_item(row: Any) -> dict:
    """A run row (COLUMNS) as its owner sees it."""
    status = effective_status(row.status, row.job_status)
    error = None
    if status == FAILED:
        error = {"code": row.error_code or row.job_error_code or "failed",
                 "message": row.job_error_message or "the run did not finish"}
    progress = 100 if status == SUCCEEDED else (row.job_progress or 0)
    return {"id": row.id, "employee_id": row.employee_id, "status": status, "progress": progress, "input": row.input,
            "generator": row.generator, "outputs": row.outputs, "error": error, "job_id": row.job_id,
            "created_at": row.created_at, "finished_at": row.finished_at}


def _owner_of(employee_id: int) -> Any:
    return db.session.execute(select(AIEmployee.owner_id, AIEmployee.status)
                              .where(AIEmployee.id == employee_id)).first()


def start_run(actor: Actor, employee_id: int, text: str) -> dict:
    """Commit a queued run of an active employee, then its job; returns where to follow it."""
    now = utcnow()
    with write_transaction(db.session) as session:
        employee = session.execute(select(AIEmployee.owner_id, AIEmployee.status)
                                   .where(AIEmployee.id == employee_id)).first()
        if employee is None or employee.owner_id != actor.id:
            raise not_found()
        if employee.status != EmployeeStatus.ACTIVE.value:
            raise Conflict("the employee is paused: resume it to run it", {"status": employee.status},
                           code="employee_paused")
        run_id = session.execute(insert(R).values(employee_id=employee_id, status=QUEUED, input=text, outputs=[],
                                                  created_at=now).returning(R.id)).scalar_one()
        session.execute(update(AIEmployee).where(AIEmployee.id == employee_id)
                        .values(runs_count=AIEmployee.runs_count + 1))
    job = enqueue(KIND, {"run_id": run_id}, actor.id)  # commits the job, then queues it
    with write_transaction(db.session) as session:  # the job exists now, so the FK can point at it
        session.execute(update(R).where(R.id == run_id).values(job_id=job["id"]))
    path = run_path(employee_id, run_id)
    return {"run_id": run_id, "status": QUEUED, "job_id": job["id"], "status_url": path,
            "stream_url": job["stream_url"], "location": path}


def _query() -> Any:
    return select(*COLUMNS).outerjoin(Job, Job.id == R.job_id)


def get_run(actor: Actor, employee_id: int, run_id: int) -> dict:
    """One run of one of my employees (two statements: the employee's owner, the run with its job)."""
    employee = _owner_of(employee_id)
    if employee is None or employee.owner_id != actor.id:
        raise not_found()
    row = db.session.execute(_query().where(R.id == run_id, R.employee_id == employee_id)).first()
    if row is None:
        raise NotFound("run not found", code="run_not_found")
    return run_item(row)


def list_runs(actor: Actor, employee_id: int, *, page: int = 1, per_page: int = 20,
              cursor: str | None = None) -> dict:
    """An employee's runs, newest first (three statements: owner, page, total)."""
    employee = _owner_of(employee_id)
    if employee is None or employee.owner_id != actor.id:
        raise not_found()
    query = _query().where(R.employee_id == employee_id)
    page_number: int | None = page
    if cursor:
        (last_id,) = decode_cursor(cursor, "runs", (cursor_id,))
        query, page_number = query.where(R.id < last_id), None
    else:
        query = query.offset((page - 1) * per_page)
    rows = db.session.execute(query.order_by(R.id.desc()).limit(per_page + 1)).all()
    total = db.session.execute(select(func.count()).select_from(R).where(R.employee_id == employee_id)).scalar_one()
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        next_cursor = encode_cursor("runs", [rows[-1].id])
    return envelope([run_item(r) for r in rows], page_number, per_page, total, next_cursor)


# The job's side: each write is its own short transaction (the steps between them may take seconds).

def load_for_job(run_id: int) -> dict | None:
    """What a run works with: the employee, its scenario's steps and the input; None when gone."""
    row = db.session.execute(
        select(R.input, R.employee_id, AIEmployee.owner_id, AIEmployee.name, AIEmployee.role, AIEmployee.config,
               Scenario.slug, Scenario.name.label("scenario_name"), Scenario.steps)
        .join(AIEmployee, AIEmployee.id == R.employee_id).join(Scenario, Scenario.id == AIEmployee.scenario_id)
        .where(R.id == run_id)).first()
    db.session.commit()  # end the read snapshot before the long steps
    return dict(row._mapping) if row is not None else None


def mark_running(run_id: int) -> None:
    """A new attempt starts from no outputs (an earlier attempt's are replaced)."""
    with write_transaction(db.session) as tx:
        tx.execute(update(R).where(R.id == run_id).values(status=RUNNING, outputs=[], generator=None,
                                                          error_code=None, finished_at=None))


def record_outputs(run_id: int, outputs: list[dict[str, Any]]) -> None:
    """Store the outputs so far (the run is readable step by step while it works)."""
    with write_transaction(db.session) as tx:
        tx.execute(update(R).where(R.id == run_id).values(outputs=outputs))


def mark_succeeded(run_id: int, generator: str, owner_id: int, employee_id: int) -> None:
    """The run is done; its owner is told (notifications subscribe to the event if they want)."""
    with write_transaction(db.session) as tx:
        tx.execute(update(R).where(R.id == run_id).values(status=SUCCEEDED, generator=generator,
                                                          finished_at=utcnow()))
    publish("ai_employee_run_finished", run_id=run_id, user_id=owner_id, url=run_path(employee_id, run_id))


def mark_failed(run_id: int, code: str) -> None:
    """Record a final failure on the run (its job records the details)."""
    with write_transaction(db.session) as tx:
        tx.execute(update(R).where(R.id == run_id, R.status != SUCCEEDED)
                   .values(status=FAILED, error_code=code[:64], finished_at=utcnow()))
