"""AI-automation scenarios (a public catalogue), users' AI employees built on them, and their runs.

A scenario is a named list of steps (`steps`: [{"key", "title", "instruction"}], JSON); an AI
employee is a user's configured worker for one scenario (`config` fills the steps' placeholders);
a run is one execution of its scenario's steps in a background job (`scenarios.run`,
backend/scenarios/tasks.py), which records each step's output on the run (`outputs`) and as a job
event (so the event server streams it). The run row is created `queued` in the request; a failure
the handler never sees (a cancel, a worker that died on its last attempt) is read from the job.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.models import created_at_column, one_of, utcnow
from backend.extensions import db
from backend.jobs.models import JsonColumn


class EmployeeStatus(StrEnum):
    """An active employee can be run; a paused one cannot (409) until resumed."""

    ACTIVE = "active"
    PAUSED = "paused"


class RunStatus(StrEnum):
    """queued -> running -> succeeded | failed."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Scenario(db.Model):
    """One automation recipe of the catalogue (seeded from backend/scenarios/data/scenarios.json)."""

    __tablename__ = "scenarios"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    category: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    steps: Mapped[Any] = mapped_column(JsonColumn, nullable=False)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (Index("ix_scenarios_category_id", "category", "id"),)  # the catalogue's category filter


class AIEmployee(db.Model):
    """A user's AI employee: a name and role, the scenario it works through, and its configuration."""

    __tablename__ = "ai_employees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    role: Mapped[str] = mapped_column(String(120), nullable=False)
    config: Mapped[Any] = mapped_column(JsonColumn, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=EmployeeStatus.ACTIVE.value)
    runs_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(one_of("status", EmployeeStatus), name="status_valid"),
        Index("ix_ai_employees_owner_id_id", "owner_id", "id"),  # my employees, newest first
        Index("ix_ai_employees_scenario_id", "scenario_id"),  # the scenario FK's cascade looks rows up by it
    )


class AIEmployeeRun(db.Model):
    """One execution of an employee's scenario, with each step's output as the job produced it."""

    __tablename__ = "ai_employee_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("ai_employees.id", ondelete="CASCADE"), nullable=False)
    job_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("jobs.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=RunStatus.QUEUED.value)
    input: Mapped[str] = mapped_column(Text, nullable=False, default="")
    generator: Mapped[str | None] = mapped_column(String(16))  # "llm", "builtin" or "mixed"
    outputs: Mapped[Any] = mapped_column(JsonColumn, nullable=False)  # [{"key", "title", "output", ...}]
    error_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = created_at_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint(one_of("status", RunStatus), name="status_valid"),
        Index("ix_ai_employee_runs_employee_id_id", "employee_id", "id"),  # an employee's runs, newest first
        Index("ix_ai_employee_runs_job", "job_id"),  # SET NULL on job purge looks rows up by job
    )
