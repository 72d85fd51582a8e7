"""Google Gemini (generateContent) for analysing media: several items per call, a cost per call.

Configuration (app config, else the environment): `GEMINI_API_KEY` (sent as `x-goog-api-key`,
never in the URL, so it cannot reach a log line), `GEMINI_MODEL` (default gemini-2.0-flash),
`GEMINI_BASE_URL` (default Google's https://generativelanguage.googleapis.com/v1beta; tests and
proxies point it elsewhere), prices `GEMINI_PRICE_INPUT_PER_1K` / `GEMINI_PRICE_OUTPUT_PER_1K`
(USD per 1,000 tokens, for the cost record), and the outbound client's `GEMINI_*` timeouts.
Without a key `gemini_configured()` is False and `analyze` raises ProviderNotConfigured: callers
keep what they extracted and say the AI was unavailable.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, TypeVar

import pydantic
from flask import Flask, current_app

from backend.extensions import integrations
from backend.integrations.errors import ProviderBadResponse, ProviderNotConfigured
from backend.integrations.extension import client_for
from backend.integrations.llm import parse_answer
from backend.integrations.settings import ProviderSpec, RetryPolicy, config_value

NAME = "gemini"
DEFAULT_MODEL = "gemini-2.0-flash"
SPEC = integrations.declare(ProviderSpec(
    name=NAME, prefix="GEMINI", base_url="https://generativelanguage.googleapis.com/v1beta",
    auth_header="x-goog-api-key", auth_scheme="", connect_timeout=5.0, read_timeout=60.0, deadline=90.0,
    retry=RetryPolicy(attempts=3, backoff=1.0)))
Model = TypeVar("Model", bound=pydantic.BaseModel)


@dataclass(frozen=True)
class Media:
    """One item to analyse: its bytes and MIME type (image/jpeg, image/png, video/mp4, ...)."""

    mime_type: str
    data: bytes


def gemini_configured(app: Flask | None = None) -> bool:
    """True when an API key is configured (the base URL has a default)."""
    return bool(client_for(NAME, app).settings.api_key)


def gemini_model(app: Flask | None = None) -> str:
    """`GEMINI_MODEL`, else the default."""
    return config_value((app or current_app).config, "GEMINI_MODEL") or DEFAULT_MODEL


def cost_usd(usage: dict[str, int], app: Flask | None = None) -> float:
    """What a call cost at the configured prices (0 when no price is configured)."""
    config = (app or current_app).config
    price_in = float(config_value(config, "GEMINI_PRICE_INPUT_PER_1K") or 0)
    price_out = float(config_value(config, "GEMINI_PRICE_OUTPUT_PER_1K") or 0)
    return round(usage.get("input_tokens", 0) / 1000 * price_in + usage.get("output_tokens", 0) / 1000 * price_out, 6)


def analyze(prompt: str, media: list[Media], *, schema: type[Model]) -> tuple[Model, dict[str, Any]]:
    """One generateContent call over `prompt` and every item of `media` (batched), answered as `schema`.

    Returns:
        The validated answer and meta `{"model", "usage": {"input_tokens", "output_tokens"},
        "cost_usd", "media": n}` for the caller's cost record.

    Raises:
        ProviderNotConfigured: no GEMINI_API_KEY.
        ProviderBadResponse: no candidate text, not JSON, or not `schema`.
        ProviderError: the outbound client's failures (HTTP error, timeout, breaker).
    """
    client = client_for(NAME)
    if not client.settings.api_key:
        raise ProviderNotConfigured(NAME, "gemini is not configured (set GEMINI_API_KEY)")
    model = gemini_model()
    parts: list[dict[str, Any]] = [{"text": prompt}]
    parts += [{"inline_data": {"mime_type": m.mime_type, "data": base64.b64encode(m.data).decode()}} for m in media]
    body = client.request_json("POST", f"/models/{model}:generateContent", idempotent=True, json={
        "contents": [{"role": "user", "parts": parts}],
        "generationConfig": {"responseMimeType": "application/json", "temperature": 0.2}})
    answer = parse_answer(_text(body), schema, NAME)
    metadata = body.get("usageMetadata") if isinstance(body.get("usageMetadata"), dict) else {}
    usage = {"input_tokens": int(metadata.get("promptTokenCount") or 0),
             "output_tokens": int(metadata.get("candidatesTokenCount") or 0)}
    return answer, {"model": body.get("modelVersion") or model, "usage": usage, "cost_usd": cost_usd(usage),
                    "media": len(media)}


def _text(body: Any) -> str:
    """The first candidate's text parts, joined."""
    try:
        parts = body["candidates"][0]["content"]["parts"]
        text = "".join(p.get("text", "") for p in parts if isinstance(p, dict))
    except (TypeError, KeyError, IndexError):
        raise ProviderBadResponse(NAME, "gemini answered a body without candidates[0].content.parts") from None
    if not text.strip():
        raise ProviderBadResponse(NAME, "gemini answered an empty candidate (blocked or no output)")
    return text
