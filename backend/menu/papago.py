"""Papago NMT (NAVER Cloud) on the outbound client, cached per (source, target, text).

The real API: `POST {PAPAGO_BASE_URL}/translation` (default
https://naveropenapi.apigw.ntruss.com/nmt/v1) with headers `X-NCP-APIGW-API-KEY-ID`
(`PAPAGO_API_KEY_ID`) and `X-NCP-APIGW-API-KEY` (`PAPAGO_API_KEY`) and a form body
`source`, `target`, `text`; it answers `{"message": {"result": {"srcLangType", "tarLangType",
"translatedText"}}}`. Reads time out after 10 s; 3 attempts wait 1 s then 2 s (translation has no
side effect, so the POST is retried); the whole call ends within 20 s, under gunicorn's 30 s.

Without both keys the embedded default answers, honestly: a text that is a menu name the catalog
knows (exact or composed from modifiers), from Korean into en/ja/zh, is answered from the catalog
(`provider: "catalog"`); anything else is a 200 with `translated_text: null` and
`reason: "translation_unavailable"` (the identify convention: a missing provider is a state, not
a server error, and never a made-up translation). Answers are validated before use and
only successful ones are cached (a bounded per-process TTL map: MENU_TRANSLATE_CACHE_SIZE,
MENU_TRANSLATE_CACHE_TTL).
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlencode

from cachetools import TTLCache
from flask import Flask, current_app
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backend.extensions import integrations
from backend.integrations.errors import ProviderBadResponse
from backend.integrations.extension import client_for
from backend.integrations.settings import ProviderSpec, RetryPolicy, config_value
from backend.menu import settings

NAME = "papago"
SPEC = integrations.declare(ProviderSpec(
    name=NAME, prefix="PAPAGO", base_url="https://naveropenapi.apigw.ntruss.com/nmt/v1",
    auth_header="X-NCP-APIGW-API-KEY", auth_scheme="", connect_timeout=3.0, read_timeout=10.0, deadline=20.0,
    retry=RetryPolicy(attempts=3, backoff=1.0)))
CODES = {"zh": "zh-CN"}  # our short code -> Papago's
KEY = "menu.translations"


class _Result(BaseModel):
    model_config = ConfigDict(extra="ignore")
    translatedText: str = Field(min_length=1, max_length=20_000)  # noqa: N815 (the provider's field name)


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    result: _Result


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    message: _Message


class TranslationCache:
    """(source, target, text) -> translated text, bounded and expiring; thread-safe."""

    def __init__(self, size: int, ttl: float):
        """At most `size` entries for `ttl` seconds."""
        self.enabled = size > 0 and ttl > 0
        self._map: TTLCache = TTLCache(maxsize=max(1, size), ttl=max(ttl, 0.001))
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> str | None:
        """A cached translation, else None."""
        with self._lock:
            return self._map.get(key)

    def put(self, key: tuple[str, str, str], value: str) -> None:
        """Remember a translation."""
        if self.enabled:
            with self._lock:
                self._map[key] = value


def init_translations(app: Flask) -> None:
    """Give `app` its translation cache."""
    with app.app_context():
        app.extensions[KEY] = TranslationCache(settings.number("MENU_TRANSLATE_CACHE_SIZE", int),
                                               settings.number("MENU_TRANSLATE_CACHE_TTL"))


def configured() -> bool:
    """True when both Papago keys are set."""
    client = client_for(NAME)
    return bool(client.settings.api_key and config_value(current_app.config, "PAPAGO_API_KEY_ID"))


def translate(text: str, source: str, target: str) -> dict[str, Any]:
    """`text` from `source` into `target` (cached); TranslationUnavailable without keys, ProviderError on failure."""
    key = (source, target, text)
    cache: TranslationCache = current_app.extensions[KEY]
    hit = cache.get(key)
    if hit is not None:
        return {"text": text, "translated_text": hit, "source": source, "target": target, "provider": NAME,
                "reason": None, "cached": True}
    if not configured():
        return _builtin(text, source, target)
    form = urlencode({"source": CODES.get(source, source), "target": CODES.get(target, target), "text": text})
    body = client_for(NAME).request_json(
        "POST", "/translation", data=form.encode(), idempotent=True,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
                 "X-NCP-APIGW-API-KEY-ID": config_value(current_app.config, "PAPAGO_API_KEY_ID")})
    try:
        translated = _Answer.model_validate(body).message.result.translatedText
    except ValidationError:
        raise ProviderBadResponse(NAME, "papago answered JSON without message.result.translatedText") from None
    cache.put(key, translated)
    return {"text": text, "translated_text": translated, "source": source, "target": target, "provider": NAME,
            "reason": None, "cached": False}


def _builtin(text: str, source: str, target: str) -> dict[str, Any]:
    """The catalog's name for a known menu name (ko -> en/ja/zh), else an honest "unavailable"."""
    from backend.menu.catalog import catalog_generation
    from backend.menu.identify import known
    from backend.menu.names import MAX_KEY, name_key

    answer: dict[str, Any] = {"text": text, "translated_text": None, "source": source, "target": target,
                              "provider": None, "reason": "translation_unavailable", "cached": False}
    lang = "zh" if target in ("zh", "zh-CN") else target
    key = name_key(text)
    if source != "ko" or lang not in ("en", "ja", "zh") or not key or len(key) > MAX_KEY:
        return answer
    match = known(key, catalog_generation())
    name = ((match or {}).get("dish") or {}).get("names", {}).get(lang)
    if name:
        answer.update(translated_text=name, provider="catalog", reason=None)
    return answer
