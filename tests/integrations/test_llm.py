"""The LLM adapter against a loopback fake scripted as an OpenAI-compatible chat server."""

from __future__ import annotations

import json
import logging

import pydantic
import pytest

from backend import create_app
from backend.integrations import ProviderBadResponse, ProviderHTTPError, ProviderNotConfigured
from backend.integrations.fakes import FakeProvider, ok, status
from backend.integrations.llm import complete_json, llm_configured

SECRET = "sk-llm-test-secret"


class Persona(pydantic.BaseModel):
    """A small schema like the ones domains ask for."""

    name: str
    tone: str
    tags: list[str] = []


def completion(content: str, model: str = "gpt-4o-mini-2024-07-18", usage: dict | None = None) -> dict:
    """An OpenAI chat completion body whose first choice says `content`."""
    body = {"id": "chatcmpl-1", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop"}]}
    if usage is not None:
        body["usage"] = usage
    return body


def make(tmp_path, **config):
    """A testing app (no database work here, so SQLite only) with `config` on top."""
    return create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                       "CACHE_GENERATIONS_PATH": str(tmp_path / "gen"), **config})


@pytest.fixture
def llm(tmp_path):
    """(app, fake): an app whose `llm` provider is the fake, with short waits between attempts."""
    with FakeProvider() as fake:
        app = make(tmp_path, OPENAI_BASE_URL=f"{fake.url}/v1", OPENAI_API_KEY=SECRET, OPENAI_MODEL="test-model",
                   OPENAI_BACKOFF=0.01, OPENAI_ATTEMPTS=3)
        yield app, fake


def ask(app, schema=Persona, **kw):
    with app.app_context():
        return complete_json("You write personas as JSON.", "I feel stuck at work.", schema=schema, **kw)


def test_a_completion_is_requested_and_parsed(llm):
    app, fake = llm
    usage = {"prompt_tokens": 20, "completion_tokens": 9, "total_tokens": 29}
    fake.then(ok(completion('{"name": "Mina", "tone": "warm", "tags": ["calm"]}', usage=usage)))
    persona, meta = ask(app, temperature=0.5)
    assert persona == Persona(name="Mina", tone="warm", tags=["calm"])
    assert meta == {"generator": "llm", "model": "gpt-4o-mini-2024-07-18", "usage": usage}
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["Authorization"] == f"Bearer {SECRET}"
    sent = json.loads(request.body)
    assert sent == {"model": "test-model", "temperature": 0.5, "response_format": {"type": "json_object"},
                    "messages": [{"role": "system", "content": "You write personas as JSON."},
                                 {"role": "user", "content": "I feel stuck at work."}]}


def test_prompts_that_do_not_mention_json_get_a_note_and_usage_is_optional(llm):
    app, fake = llm
    fake.then(ok(completion('{"name": "A", "tone": "b"}', model="")))
    with app.app_context():
        _, meta = complete_json("Write a persona.", "Hello", schema=Persona)
    assert "JSON" in json.loads(fake.requests[0].body)["messages"][0]["content"]  # OpenAI requires it
    assert meta == {"generator": "llm", "model": "test-model"}  # no model in the answer: the one asked for


@pytest.mark.parametrize("content", ['```json\n{"name": "Mina", "tone": "warm"}\n```',
                                     '```\n{"name": "Mina", "tone": "warm"}```',
                                     '  {"name": "Mina", "tone": "warm"}\n'])
def test_fenced_json_is_accepted(llm, content):
    app, fake = llm
    fake.then(ok(completion(content)))
    persona, _ = ask(app)
    assert (persona.name, persona.tone) == ("Mina", "warm")


def test_content_that_is_not_json_is_a_bad_response_without_the_content(llm, caplog):
    app, fake = llm
    fake.then(ok(completion("Sure! Mina is a warm persona who secretly-private-words.")))
    with caplog.at_level(logging.DEBUG), pytest.raises(ProviderBadResponse) as caught:
        ask(app)
    assert "not JSON" in caught.value.message and caught.value.provider == "llm"
    assert "secretly" not in caught.value.message + json.dumps(caught.value.details)
    assert "secretly" not in caplog.text and SECRET not in caplog.text
    assert len(fake.requests) == 1  # a bad answer is not retried (the same prompt would cost again)


def test_a_schema_mismatch_names_the_fields(llm):
    app, fake = llm
    fake.then(ok(completion('{"name": "Mina", "tone": 7, "tags": "private-value"}')))
    with pytest.raises(ProviderBadResponse) as caught:
        ask(app)
    error = caught.value
    assert error.message == "llm answered JSON that does not match Persona (tone, tags)"
    assert error.details["schema"] == "Persona" and set(error.details["fields"]) == {"tone", "tags"}
    assert "private-value" not in error.message + json.dumps(error.details)


@pytest.mark.parametrize("body", [{"choices": []}, {"error": "x"}, [1, 2],
                                  completion(None), completion("   ")], ids=["no-choices", "no-key", "list",
                                                                          "null-content", "blank"])
def test_a_body_without_usable_content_is_a_bad_response(llm, body):
    app, fake = llm
    fake.then(ok(body))
    with pytest.raises(ProviderBadResponse) as caught:
        ask(app)
    assert "content" in caught.value.message


def test_a_non_object_json_answer_is_a_schema_mismatch(llm):
    app, fake = llm
    fake.then(ok(completion("[1, 2]")))
    with pytest.raises(ProviderBadResponse) as caught:
        ask(app)
    assert "does not match Persona" in caught.value.message


def test_a_server_error_is_retried_because_a_completion_has_no_side_effect(llm, caplog):
    app, fake = llm
    fake.then(status(500), ok(completion('{"name": "Mina", "tone": "warm"}')))
    with caplog.at_level(logging.DEBUG):
        persona, _ = ask(app)
    assert persona.name == "Mina" and len(fake.requests) == 2
    assert "attempt 1 failed" in caplog.text and SECRET not in caplog.text
    assert fake.requests[0].body == fake.requests[1].body


def test_a_client_error_is_not_retried(llm):
    app, fake = llm
    fake.default = status(400, body=b'{"error": {"message": "bad model"}}')
    with pytest.raises(ProviderHTTPError) as caught:
        ask(app)
    assert caught.value.upstream_status == 400 and len(fake.requests) == 1


def test_unconfigured_means_not_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    app = make(tmp_path)
    assert llm_configured(app) is False
    with app.app_context():
        assert llm_configured() is False
        with pytest.raises(ProviderNotConfigured) as caught:
            complete_json("JSON please", "x", schema=Persona)
    assert "OPENAI_BASE_URL" in caught.value.message


def test_configured_from_app_config_or_the_environment(llm, tmp_path, monkeypatch):
    app, _ = llm
    assert llm_configured(app) is True
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert llm_configured(make(tmp_path)) is True
