"""Scenarios HTTP layer: the public catalogue and my AI employees. No queries, no rules here."""

from __future__ import annotations

from backend.caching.view import cached_response
from backend.common.actor import ROLES, current_actor
from backend.common.api import api_route
from backend.common.pagination import PageQuery
from backend.scenarios import bp
from backend.scenarios.models import EmployeeStatus
from backend.scenarios.schemas import (
    EmployeeIn,
    EmployeeOut,
    EmployeePage,
    EmployeeUpdateIn,
    RunAccepted,
    RunIn,
    RunOut,
    RunPage,
    ScenarioDetailOut,
    ScenarioPage,
    ScenarioQuery,
)
from backend.scenarios.services import catalogue, employees, runs

NO_STORE = {"Cache-Control": "no-store"}  # the stream URL carries a token


@api_route(bp, "/scenarios", summary="The AI-automation scenario catalogue (category filter, cursor pages)",
           query=ScenarioQuery, response=ScenarioPage)
@cached_response(lambda kw: ("scenarios",))
def list_scenarios(query: ScenarioQuery):
    return catalogue.list_scenarios(**query.model_dump())


@api_route(bp, "/scenarios/<id:scenario_id>", summary="A scenario with its steps", response=ScenarioDetailOut,
           errors=[404])
@cached_response(lambda kw: ("scenarios", f"scenario:{kw['scenario_id']}"))
def get_scenario(scenario_id: int):
    return catalogue.get_scenario(scenario_id)


@api_route(bp, "/ai-employees", "POST", summary="Create an AI employee working through a scenario",
           body=EmployeeIn, response=EmployeeOut, status=201, roles=ROLES)
def create_employee(body: EmployeeIn):
    return employees.create_employee(current_actor(), body.name, body.role, body.scenario_id,
                                     body.config.model_dump())


@api_route(bp, "/ai-employees", summary="My AI employees, newest first", query=PageQuery, response=EmployeePage,
           roles=ROLES)
def list_employees(query: PageQuery):
    return employees.list_employees(current_actor(), **query.model_dump())


@api_route(bp, "/ai-employees/<id:employee_id>", summary="One of my AI employees", response=EmployeeOut,
           roles=ROLES, errors=[404])
def get_employee(employee_id: int):
    return employees.get_employee(current_actor(), employee_id)


@api_route(bp, "/ai-employees/<id:employee_id>", "PATCH", summary="Configure an AI employee (config is replaced)",
           body=EmployeeUpdateIn, response=EmployeeOut, roles=ROLES, errors=[404])
def update_employee(employee_id: int, body: EmployeeUpdateIn):
    changes = body.model_dump(exclude_unset=True)
    if "config" in changes:
        changes["config"] = body.config.model_dump()
    return employees.update_employee(current_actor(), employee_id, changes)


@api_route(bp, "/ai-employees/<id:employee_id>/pause", "POST", summary="Pause an AI employee (runs refused)",
           response=EmployeeOut, roles=ROLES, errors=[404, 409])
def pause_employee(employee_id: int):
    return employees.set_status(current_actor(), employee_id, EmployeeStatus.PAUSED.value)


@api_route(bp, "/ai-employees/<id:employee_id>/resume", "POST", summary="Resume a paused AI employee",
           response=EmployeeOut, roles=ROLES, errors=[404, 409])
def resume_employee(employee_id: int):
    return employees.set_status(current_actor(), employee_id, EmployeeStatus.ACTIVE.value)


@api_route(bp, "/ai-employees/<id:employee_id>", "DELETE", summary="Delete an AI employee and its runs",
           status=204, roles=ROLES, errors=[404])
def delete_employee(employee_id: int):
    employees.delete_employee(current_actor(), employee_id)


@api_route(bp, "/ai-employees/<id:employee_id>/runs", "POST",
           summary="Run an AI employee: 202 at once, its scenario's steps run as a job", body=RunIn,
           response=RunAccepted, status=202, roles=ROLES, errors=[404, 409], headers=NO_STORE)
def start_run(employee_id: int, body: RunIn):
    accepted = runs.start_run(current_actor(), employee_id, body.input)
    return accepted, {"Location": accepted.pop("location")}


@api_route(bp, "/ai-employees/<id:employee_id>/runs", summary="An AI employee's runs, newest first",
           query=PageQuery, response=RunPage, roles=ROLES, errors=[404])
def list_runs(employee_id: int, query: PageQuery):
    return runs.list_runs(current_actor(), employee_id, **query.model_dump())


@api_route(bp, "/ai-employees/<id:employee_id>/runs/<id:run_id>",
           summary="A run: status, progress and each step's output so far", response=RunOut, roles=ROLES,
           errors=[404])
def get_run(employee_id: int, run_id: int):
    return runs.get_run(current_actor(), employee_id, run_id)
