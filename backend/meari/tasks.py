"""The `meari.session` job: persona and external context at once, then cards, then the result.

Steps are timed (time.monotonic), logged and stored on the session as `timings` {step: ms}. The
persona and the context fetch are independent, so they run on two threads, each in its own app
context (a context is per thread); the cards follow the persona, whose voice they use. Only the
job's own thread writes the job row (ctx), so a cancel is noticed there and JobAborted propagates.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app

from backend.integrations.llm import llm_configured
from backend.jobs.errors import JobAborted, JobFailed
from backend.jobs.registry import job_handler
from backend.jobs.runner import classify
from backend.meari import generation, services

log = logging.getLogger(__name__)


def _ms(since: float) -> float:
    return round((time.monotonic() - since) * 1000, 1)


def _timed(app: Flask, fn: Any, *args: Any) -> tuple[Any, float]:
    """Run `fn(*args)` in an app context of its own (this is another thread); (value, ms)."""
    with app.app_context():
        started = time.monotonic()
        return fn(*args), _ms(started)


@job_handler(services.KIND, max_attempts=3)
def build_session(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """Build session `payload["session_id"]`; a final failure also marks the session failed."""
    session_id = int(payload["session_id"])
    try:
        return _build(ctx, session_id)
    except JobAborted:
        raise
    except Exception as exc:
        code, _, transient = classify(exc)
        if not transient or ctx.attempt >= ctx.job.max_attempts:
            try:
                services.mark_failed(session_id, code)
            except Exception:  # the job row still records the failure; the status endpoint reads it
                log.warning("meari session %s: could not mark it failed", session_id, exc_info=True)
        raise


def _build(ctx: Any, session_id: int) -> dict[str, Any]:
    started = time.monotonic()
    loaded = services.load_for_job(session_id)
    if loaded is None:
        raise JobFailed("session_gone", "the session no longer exists")
    concern, language = loaded
    app = current_app._get_current_object()
    use_llm = llm_configured()
    timings: dict[str, float] = {}
    ctx.progress(10, "creating the persona and fetching context")
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="meari") as pool:
        persona_job = pool.submit(_timed, app, generation.persona_step, concern, language, use_llm)
        context_job = pool.submit(_timed, app, generation.fetch_context, concern, language)
        (persona, persona_meta), timings["persona"] = persona_job.result()
        ctx.emit("persona_created", persona.model_dump(mode="json"), progress=50, message="persona created")
        external, timings["external"] = context_job.result()
    step = time.monotonic()
    # After a permanent LLM failure on the persona, asking again for the cards would fail (and cost) alike.
    cards_llm = use_llm and persona_meta["generator"] == "llm"
    cards, cards_meta = generation.cards_step(concern, language, persona, external, cards_llm)
    timings["cards"] = _ms(step)
    card_data = [c.model_dump(mode="json") for c in cards]
    ctx.emit("cards_created", card_data, progress=90, message="cards created")
    timings["total"] = _ms(started)
    generator = generation.overall_generator(persona_meta, cards_meta)
    services.save_result(session_id, persona, cards, generator, external, timings)
    log.info("meari session %s built by %s in %.1f ms (persona %.1f, external %.1f, cards %.1f; attempt %d)",
             session_id, generator, timings["total"], timings["persona"], timings["external"], timings["cards"],
             ctx.attempt)
    # Lean: the persona and cards are in their events and on the session; the result says where and how.
    result: dict[str, Any] = {"session_id": session_id, "session_url": services.session_path(session_id),
                              "generator": generator, "steps": {"persona": persona_meta, "cards": cards_meta},
                              "external": external["status"], "timings": timings}
    model = persona_meta.get("model") or cards_meta.get("model")
    if model:
        result["model"] = model
    return result
