"""Scenario fixtures: the seeded catalogue, an app whose LLM is a loopback fake, employee helpers."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from backend.integrations.fakes import FakeProvider
from backend.scenarios.models import Scenario
from backend.scenarios.seed import catalogue
from tests.conftest import make_app, wipe

EMPLOYEES = "/api/v1/ai-employees"


@pytest.fixture
def scenarios(db) -> list[dict]:
    """The catalogue of the data file, inserted with ids from 1 (as the seed does)."""
    rows = [{"id": i, "created_at": dt.datetime(2026, 1, 1), **s} for i, s in enumerate(catalogue(), start=1)]
    db.session.execute(insert(Scenario), rows)
    db.session.commit()
    return rows


@pytest.fixture
def llm():
    """A loopback fake OpenAI-compatible server."""
    with FakeProvider() as fake:
        yield fake


@pytest.fixture
def configured(database_url, tmp_path, llm):
    """An app whose `llm` provider is the fake (one attempt per job attempt)."""
    application = make_app(database_url, tmp_path, OPENAI_BASE_URL=f"{llm.url}/v1", OPENAI_API_KEY="sk-test",
                           OPENAI_MODEL="fake-model", OPENAI_ATTEMPTS=1)
    yield application
    wipe(application)


def new_employee(client, auth, scenario_id: int = 1, **fields):
    """POST an employee; returns the response."""
    body = {"name": "Mina", "role": "Content manager", "scenario_id": scenario_id,
            "config": {"variables": {"topic": "cold brew", "audience": "students"}, "tone": "warm"}, **fields}
    return client.post(EMPLOYEES, json=body, headers=auth)
