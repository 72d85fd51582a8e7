"""Meari fixtures: apps whose LLM and context providers are loopback fakes, or whose jobs stay queued."""

from __future__ import annotations

import json

import pytest

from backend.extensions import db
from backend.integrations.fakes import FakeProvider
from backend.jobs.models import JobEvent
from tests.conftest import make_app, wipe

CONCERN = "My boss keeps adding work and I cannot sleep before deadlines."


def completion(content: dict | str, model: str = "fake-model-1") -> dict:
    """An OpenAI chat completion body whose first choice says `content` (a dict is sent as JSON)."""
    text = content if isinstance(content, str) else json.dumps(content)
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}


PERSONA = {"name": "Yuna", "tone": "calm", "summary": "Yuna helps you slow down and pick one thing."}
CARDS = {"cards": [{"kind": "reflection", "title": "Notice", "body": "What weighs most?"},
                   {"kind": "action", "title": "Ten minutes", "body": "Do the smallest task for ten minutes."},
                   {"kind": "question", "title": "Ask", "body": "What would you tell a friend?"}]}


@pytest.fixture
def fakes():
    """(llm, context): two loopback fake providers."""
    with FakeProvider() as llm, FakeProvider() as context:
        yield llm, context


@pytest.fixture
def configured(database_url, tmp_path, fakes):
    """An app whose `llm` provider is one fake (one attempt per job attempt) and context the other."""
    llm, context = fakes
    application = make_app(database_url, tmp_path, OPENAI_BASE_URL=f"{llm.url}/v1", OPENAI_API_KEY="sk-test",
                           OPENAI_MODEL="fake-model", OPENAI_ATTEMPTS=1, MEARI_CONTEXT_BASE_URL=context.url,
                           MEARI_CONTEXT_ATTEMPTS=1)
    yield application
    wipe(application)


@pytest.fixture
def queued_app(database_url, tmp_path):
    """An app whose jobs wait in a real SqliteHuey file (the test runs them with run_job)."""
    application = make_app(database_url, tmp_path, JOBS_IMMEDIATE=False,
                           JOBS_QUEUE_URL=f"sqlite:///{tmp_path / 'queue.db'}")
    yield application
    wipe(application)


def start(client, auth, concern: str = CONCERN, **extra):
    """POST a session; returns the response."""
    return client.post("/api/v1/meari/sessions", json={"concern": concern, **extra}, headers=auth)


def events_of(app, job_id: str) -> list[tuple[str, object]]:
    """(type, data) of a job's events in order."""
    with app.app_context():
        rows = db.session.query(JobEvent).filter_by(job_id=job_id).order_by(JobEvent.seq).all()
        out = [(e.type, e.data) for e in rows]
        db.session.remove()
        return out
