"""Scenario catalogue, AI employee and run schemas: they validate input and document the OpenAPI contract."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, Field, field_validator

from backend.common.pagination import PageQuery
from backend.common.validation import BodySchema, DbInt, PatchSchema
from backend.scenarios.models import EmployeeStatus, RunStatus

VARIABLE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_VARIABLES = 30
MAX_VALUE = 2000


class Step(BaseModel):
    """One step of a scenario: `{placeholders}` in its instruction are filled from the employee's config."""

    key: str
    title: str
    instruction: str


class ScenarioQuery(PageQuery):
    """The catalogue, optionally one category."""

    category: str | None = Field(None, min_length=1, max_length=40)


class ScenarioOut(BaseModel):
    """A scenario in the catalogue list."""

    id: int
    slug: str
    category: str
    name: str
    description: str
    step_count: int
    variables: list[str]


class ScenarioDetailOut(ScenarioOut):
    """A scenario with its steps."""

    steps: list[Step]


class ScenarioPage(BaseModel):
    """The list envelope of scenarios."""

    items: list[ScenarioOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None


class EmployeeConfig(BodySchema):
    """How an employee works: values for the scenario's placeholders, a tone and a language."""

    variables: dict[str, str] = Field(default_factory=dict)
    tone: str = Field("friendly", min_length=1, max_length=60)
    language: str = Field("en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")

    @field_validator("variables")
    @classmethod
    def _variables(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > MAX_VARIABLES:
            raise ValueError(f"at most {MAX_VARIABLES} variables")
        for name, text in value.items():
            if not VARIABLE.match(name):
                raise ValueError(f"variable names are lower-case identifiers (a-z, 0-9, _), not {name[:40]!r}")
            if len(text) > MAX_VALUE:
                raise ValueError(f"variable {name!r} is longer than {MAX_VALUE} characters")
        return value


class EmployeeIn(BodySchema):
    """A new AI employee."""

    name: str = Field(min_length=1, max_length=120)
    role: str = Field(min_length=1, max_length=120)
    scenario_id: DbInt
    config: EmployeeConfig = Field(default_factory=EmployeeConfig)


class EmployeeUpdateIn(PatchSchema):
    """Fields the owner may change; `config` is replaced whole."""

    name: str | None = Field(None, min_length=1, max_length=120)
    role: str | None = Field(None, min_length=1, max_length=120)
    scenario_id: DbInt | None = None
    config: EmployeeConfig | None = None


class EmployeeOut(BaseModel):
    """An AI employee, as its owner sees it."""

    id: int
    name: str
    role: str
    scenario_id: int
    scenario_name: str
    config: dict[str, Any]
    status: EmployeeStatus
    runs_count: int
    created_at: dt.datetime
    updated_at: dt.datetime


class EmployeePage(BaseModel):
    """The list envelope of my employees."""

    items: list[EmployeeOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None


class RunIn(BodySchema):
    """What this run works on (optional free text, given to every step)."""

    input: str = Field("", max_length=4000)


class RunAccepted(BaseModel):
    """A run was queued: follow it here."""

    run_id: int
    status: RunStatus
    job_id: str
    status_url: str
    stream_url: str


class StepOutput(BaseModel):
    """What one step produced."""

    key: str
    title: str
    output: str
    generator: str
    ms: float
    model: str | None = None
    fallback: str | None = None


class RunOut(BaseModel):
    """A run with the outputs recorded so far."""

    id: int
    employee_id: int
    status: RunStatus
    progress: int
    input: str
    generator: str | None
    outputs: list[StepOutput]
    error: dict[str, str] | None
    job_id: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


class RunPage(BaseModel):
    """The list envelope of an employee's runs."""

    items: list[RunOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None
