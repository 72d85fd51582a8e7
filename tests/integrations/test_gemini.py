"""The Gemini adapter against a loopback fake scripted as generateContent."""

from __future__ import annotations

import base64
import json

import pydantic
import pytest

from backend import create_app
from backend.integrations import ProviderBadResponse, ProviderNotConfigured
from backend.integrations.fakes import FakeProvider, ok, status
from backend.integrations.gemini import Media, analyze, gemini_configured

KEY = "gemini-test-key"


class Verdict(pydantic.BaseModel):
    """What a caller might ask for."""

    summary: str
    labels: list[str]


def answer(text: str, prompt_tokens: int = 1200, output_tokens: int = 80) -> dict:
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": prompt_tokens, "candidatesTokenCount": output_tokens},
            "modelVersion": "gemini-2.0-flash-001"}


def make(tmp_path, **config):
    return create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                       "CACHE_GENERATIONS_PATH": str(tmp_path / "gen"), **config})


@pytest.fixture
def gemini(tmp_path):
    with FakeProvider() as fake:
        app = make(tmp_path, GEMINI_BASE_URL=f"{fake.url}/v1beta", GEMINI_API_KEY=KEY, GEMINI_MODEL="gm",
                   GEMINI_BACKOFF=0.01, GEMINI_PRICE_INPUT_PER_1K=0.1, GEMINI_PRICE_OUTPUT_PER_1K=0.4)
        yield app, fake


def test_several_media_go_in_one_call_and_the_cost_is_recorded(gemini):
    app, fake = gemini
    fake.then(ok(answer('{"summary": "a bowl of bibimbap", "labels": ["food"]}')))
    media = [Media("image/jpeg", b"\xff\xd8one"), Media("image/png", b"\x89PNGtwo")]
    with app.app_context():
        verdict, meta = analyze("Describe these images as JSON.", media, schema=Verdict)
    assert verdict.labels == ["food"]
    assert meta == {"model": "gemini-2.0-flash-001", "usage": {"input_tokens": 1200, "output_tokens": 80},
                    "cost_usd": round(1.2 * 0.1 + 0.08 * 0.4, 6), "media": 2}
    [request] = fake.requests
    assert request.path == "/v1beta/models/gm:generateContent"  # the key is a header, never in the URL
    assert request.headers["x-goog-api-key"] == KEY
    parts = json.loads(request.body)["contents"][0]["parts"]
    assert parts[0] == {"text": "Describe these images as JSON."}
    assert [base64.b64decode(p["inline_data"]["data"]) for p in parts[1:]] == [b"\xff\xd8one", b"\x89PNGtwo"]


def test_transient_errors_are_retried_and_bad_answers_refused(gemini):
    app, fake = gemini
    fake.then(status(503), ok(answer('{"summary": "ok", "labels": []}')))
    with app.app_context():
        assert analyze("x json", [], schema=Verdict)[0].summary == "ok"
    assert len(fake.requests) == 2
    for body in ({"candidates": []}, answer(""), answer("not json"), answer('{"summary": 1}')):
        fake.then(ok(body))
        with app.app_context(), pytest.raises(ProviderBadResponse):
            analyze("x json", [], schema=Verdict)


def test_without_a_key_it_is_not_configured_and_calls_nothing(tmp_path):
    with FakeProvider() as fake:
        app = make(tmp_path, GEMINI_BASE_URL=fake.url)
        with app.app_context():
            assert gemini_configured() is False
            with pytest.raises(ProviderNotConfigured):
                analyze("x", [], schema=Verdict)
        assert fake.requests == []
