"""The steps of a session's job that talk to providers: persona, cards, external context.

Each step decides between the LLM and the builtin composer. A permanent LLM failure (not
configured, an answer we cannot use, a 4xx that another attempt would repeat) falls back to the
builtin composer: the user gets a useful session, and the result says which generator made it.
A transient one (timeout, 5xx, open breaker) propagates, so the runner retries the job.

External context (provider `meari_context`, `MEARI_CONTEXT_BASE_URL`) is optional enrichment:
unset means skipped, a failure means unavailable; both are noted in the result, neither fails the
session. Only the concern's theme and the language are sent there, never the concern itself.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from backend.extensions import integrations
from backend.integrations.errors import ProviderBadResponse, ProviderError, ProviderHTTPError, ProviderNotConfigured
from backend.integrations.extension import client_for
from backend.integrations.llm import complete_json
from backend.integrations.settings import ProviderSpec
from backend.meari.composer import compose_cards, compose_persona, context_hint, theme_of
from backend.meari.schemas import Card, CardSet, Persona

log = logging.getLogger(__name__)
CONTEXT = "meari_context"
CONTEXT_SPEC = integrations.declare(ProviderSpec(name=CONTEXT, prefix="MEARI_CONTEXT", connect_timeout=3.0,
                                                 read_timeout=5.0, deadline=10.0))
CONTEXT_MAX_BYTES = 8192  # what a session stores of the context answer; larger answers are noted, not kept
BUILTIN = {"generator": "builtin"}

PERSONA_PROMPT = (
    "You create a supportive companion persona for someone who describes a concern. Answer with one JSON "
    'object {{"name": str, "tone": str, "summary": str}}: a short first name, the tone in a few words, and a '
    "2-3 sentence summary of how the persona will help. Write name, tone and summary in the language "
    "with BCP-47 tag '{language}'. Do not diagnose; be kind and concrete.")
CARDS_PROMPT = (
    "You write 3 to 6 short cards that help someone with their concern, in the voice of the given persona. "
    'Answer with one JSON object {{"cards": [{{"kind": "reflection" | "action" | "question" | "resource", '
    '"title": str, "body": str}}]}}; titles under 60 characters, bodies under 400. Write in the language '
    "with BCP-47 tag '{language}'. Use the context, if given, for a resource card.")


def permanent(exc: ProviderError) -> bool:
    """True when another attempt would fail the same way (so the builtin composer takes over)."""
    if isinstance(exc, (ProviderNotConfigured, ProviderBadResponse)):
        return True
    return isinstance(exc, ProviderHTTPError) and not exc.transient


def persona_step(concern: str, language: str, use_llm: bool) -> tuple[Persona, dict[str, Any]]:
    """The persona and how it was made (`{"generator": "llm", "model": ...}` or builtin)."""
    if use_llm:
        try:
            persona, meta = complete_json(PERSONA_PROMPT.format(language=language), concern, schema=Persona)
            return persona, {"generator": "llm", "model": meta["model"]}
        except ProviderError as exc:
            if not permanent(exc):
                raise
            log.warning("meari persona: LLM failed permanently (%s); using the builtin composer", exc.code)
            return compose_persona(concern, language), {**BUILTIN, "fallback": exc.code}
    return compose_persona(concern, language), BUILTIN


def cards_step(concern: str, language: str, persona: Persona, external: dict[str, Any],
               use_llm: bool) -> tuple[list[Card], dict[str, Any]]:
    """The cards (after the persona: they speak in its voice) and how they were made."""
    if use_llm:
        user = orjson.dumps({"concern": concern, "persona": persona.model_dump(),
                             "context": context_hint(external)}).decode()
        try:
            answer, meta = complete_json(CARDS_PROMPT.format(language=language), user, schema=CardSet)
            return answer.cards, {"generator": "llm", "model": meta["model"]}
        except ProviderError as exc:
            if not permanent(exc):
                raise
            log.warning("meari cards: LLM failed permanently (%s); using the builtin composer", exc.code)
            return compose_cards(concern, language, persona, external), {**BUILTIN, "fallback": exc.code}
    return compose_cards(concern, language, persona, external), BUILTIN


def fetch_context(concern: str, language: str) -> dict[str, Any]:
    """External context for the session: fetched, skipped (not configured) or unavailable (it failed)."""
    client = client_for(CONTEXT)
    if not client.settings.configured:
        return {"status": "skipped", "reason": "MEARI_CONTEXT_BASE_URL is not set"}
    try:
        data = client.request_json("GET", "/context", params={"topic": theme_of(concern), "language": language})
    except ProviderError as exc:
        log.warning("meari context: %s failed (%s); the session goes on without it", CONTEXT, exc.code)
        return {"status": "unavailable", "error": exc.code}
    if len(orjson.dumps(data)) > CONTEXT_MAX_BYTES:
        return {"status": "fetched", "data": None, "note": f"answer over {CONTEXT_MAX_BYTES} bytes; not stored"}
    return {"status": "fetched", "data": data}


def overall_generator(persona_meta: dict[str, Any], cards_meta: dict[str, Any]) -> str:
    """"llm" or "builtin" when both steps agree, else "mixed" (the LLM persona, builtin cards)."""
    a, b = persona_meta["generator"], cards_meta["generator"]
    return a if a == b else "mixed"
