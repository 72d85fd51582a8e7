"""The LLM provider: one OpenAI-compatible chat API every domain generates JSON with.

Configuration (app config, else the environment): `OPENAI_BASE_URL` as operators give it, `/v1`
included (e.g. https://api.openai.com/v1, or any compatible server), `OPENAI_API_KEY`,
`OPENAI_MODEL` (default `gpt-4o-mini`) and the generic `OPENAI_*` timeouts and attempts of the
outbound client. Unset base URL: `llm_configured()` is False and `complete_json` raises
`ProviderNotConfigured`; callers then use their built-in composer and say `generator: "builtin"`.

`complete_json(system, user, schema=Model)` sends one chat completion asking for a JSON object
and returns `(Model instance, meta)`; a body, JSON or schema we cannot use is `ProviderBadResponse`
naming what was wrong, never echoing the generated content (it may hold user data).
"""

from __future__ import annotations

import logging
import re
from typing import Any, TypeVar

import orjson
import pydantic
from flask import Flask, current_app

from backend.errors import field_errors
from backend.extensions import integrations
from backend.integrations.errors import ProviderBadResponse
from backend.integrations.extension import client_for
from backend.integrations.settings import ProviderSpec, RetryPolicy, config_value

log = logging.getLogger(__name__)
NAME = "llm"
DEFAULT_MODEL = "gpt-4o-mini"
# A generation takes seconds to tens of seconds, so reads and the deadline are far longer than the
# house defaults; callers run it in a background job, never inside a request.
SPEC = integrations.declare(ProviderSpec(
    name=NAME, prefix="OPENAI", connect_timeout=5.0, read_timeout=60.0, deadline=120.0,
    retry=RetryPolicy(attempts=3, backoff=1.0)))
# ```json ... ``` around the whole answer, which some compatible servers add despite json_object.
_FENCE = re.compile(r"^```[\w-]*[ \t]*\n?(.*?)\n?```$", re.DOTALL)

Model = TypeVar("Model", bound=pydantic.BaseModel)


def llm_configured(app: Flask | None = None) -> bool:
    """True when `OPENAI_BASE_URL` is set for `app` (default: the current app)."""
    return client_for(NAME, app).settings.configured


def llm_model(app: Flask | None = None) -> str:
    """The model asked for: `OPENAI_MODEL` from app config, else the environment, else the default."""
    return config_value((app or current_app).config, "OPENAI_MODEL") or DEFAULT_MODEL


def complete_json(system: str, user: str, *, schema: type[Model],
                  temperature: float = 0.2, provider: str = NAME) -> tuple[Model, dict[str, Any]]:
    """Ask the configured model for a JSON object matching `schema`.

    Args:
        system: The system prompt (what to produce; it should describe the JSON wanted).
        user: The user message (the input to work on).
        schema: The pydantic model the answer must validate against.
        temperature: Sampling temperature; low by default so answers are steady.
        provider: The declared provider to call: another spec on the same OPENAI_* configuration
            with its own timeouts and breaker (e.g. `menu_llm`, called inside requests).

    Returns:
        The validated model instance and meta: `{"generator": "llm", "model": <the model the
        server says it used>, "usage": {...}}` (usage only when the server reports it).

    Raises:
        ProviderNotConfigured: `OPENAI_BASE_URL` is not set.
        ProviderBadResponse: The body, its JSON content or its fit to `schema` is wrong.
        ProviderError: Any other failure of the outbound client (HTTP error, timeout, breaker).
    """
    client = client_for(provider)
    if "json" not in f"{system} {user}".lower():
        # OpenAI rejects json_object mode unless a message mentions JSON.
        system = f"{system}\n\nAnswer with one JSON object."
    body = client.request_json("POST", "/chat/completions", idempotent=True, json={
        "model": llm_model(), "temperature": temperature, "response_format": {"type": "json_object"},
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]})
    content = _content(body, provider)
    instance = parse_answer(content, schema, provider)
    meta: dict[str, Any] = {"generator": "llm", "model": body.get("model") or llm_model()}
    if isinstance(body.get("usage"), dict):
        meta["usage"] = body["usage"]
    return instance, meta


def _bad(reason: str, provider: str = NAME, **details: Any) -> ProviderBadResponse:
    log.warning("provider %s: unusable completion: %s", provider, reason)  # the reason only, never content
    return ProviderBadResponse(provider, f"{provider} answered {reason}", details or None)


def parse_answer(content: str, schema: type[Model], provider: str) -> Model:
    """A model's text answer as a `schema` instance (a ```json fence allowed); ProviderBadResponse if not.

    Shared by every generative provider (this one, Gemini): the same fences, the same errors.
    """
    return _validate(_decode(content, provider), schema, provider)


def _content(body: Any, provider: str = NAME) -> str:
    """`choices[0].message.content` of a chat completion body."""
    try:
        content = body["choices"][0]["message"]["content"]
    except (TypeError, KeyError, IndexError):
        raise _bad("a body without choices[0].message.content", provider) from None
    if not isinstance(content, str) or not content.strip():
        raise _bad("an empty message content", provider)
    return content


def _decode(content: str, provider: str = NAME) -> Any:
    """The JSON in `content`, a ```json fence around it removed."""
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        raise _bad("message content that is not JSON", provider) from None


def _validate(data: Any, schema: type[Model], provider: str = NAME) -> Model:
    """`data` as a `schema` instance; errors name fields and problems, never the input values."""
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as exc:
        details = field_errors(exc, "completion")
        raise _bad(f"JSON that does not match {schema.__name__} ({', '.join(details['fields'])})",
                   provider, schema=schema.__name__, **details) from None
