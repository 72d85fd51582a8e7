"""Executing one scenario step: through the LLM adapter when configured, else the builtin runner.

The builtin runner is deterministic (same employee, step and input give the same text) and says
what it is: it fills the step's instruction from the employee's configuration and writes a short
structured work note (the task, what it builds on, three points from the instruction's own key
terms), so a run without a model is still a complete, readable trace of the scenario.

A permanent LLM failure (not configured, an answer we cannot use, a 4xx another attempt would
repeat) falls back to the builtin runner for that step and the rest of the run; a transient one
(timeout, 5xx, open breaker) propagates, so the job runner retries the run.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

import orjson
from pydantic import BaseModel, Field

from backend.integrations.errors import ProviderBadResponse, ProviderError, ProviderHTTPError, ProviderNotConfigured
from backend.integrations.llm import complete_json
from backend.scenarios.services.catalogue import PLACEHOLDER

log = logging.getLogger(__name__)
BUILTIN = "builtin"
PREVIOUS_CHARS = 1500  # of each earlier output sent to the model: enough context, bounded prompt
WORD = re.compile(r"[^\W\d_]{5,}", re.UNICODE)
STOP = frozenset({"about", "their", "these", "those", "which", "would", "there", "should", "could", "write",
                  "using", "every", "after", "before", "where", "while", "under", "other", "with"})
OPENERS = ("Start with", "Focus on", "Make sure to cover", "Highlight", "Close with", "Be concrete about")

SYSTEM = (
    "You are {name}, working as {role}. You carry out one step of the automation scenario '{scenario}'. "
    "Tone: {tone}. Write in the language with BCP-47 tag '{language}'. Answer with one JSON object "
    '{{"output": str}}: the finished work of this step only (no preamble), under 3,000 characters.')


class StepAnswer(BaseModel):
    """What the model must answer for a step."""

    output: str = Field(min_length=1, max_length=6000)


def fill(instruction: str, config: dict[str, Any], run_input: str) -> str:
    """The instruction with `{name}` placeholders replaced (`{input}` the run's input, `{tone}` the tone).

    A plain substitution, not str.format: the values are user text and never interpreted.
    """
    values = {**(config.get("variables") or {}), "tone": config.get("tone", "friendly"), "input": run_input}
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or f"(no {m.group(1)} given)", instruction)


def permanent(exc: ProviderError) -> bool:
    """True when another attempt would fail the same way (so the builtin runner takes over)."""
    if isinstance(exc, (ProviderNotConfigured, ProviderBadResponse)):
        return True
    return isinstance(exc, ProviderHTTPError) and not exc.transient


def builtin_output(work: dict[str, Any], step: dict[str, Any], task: str, previous: list[dict[str, Any]]) -> str:
    """The deterministic work note of one step."""
    config = work["config"] or {}
    terms = list(dict.fromkeys(w.lower() for w in WORD.findall(task) if w.lower() not in STOP))[:3] or ["the goal"]
    seed = int(hashlib.sha256(f"{work['slug']}|{step['key']}|{task}".encode()).hexdigest()[:8], 16)
    lines = [f"{step['title']} - {work['name']} ({work['role']}), tone: {config.get('tone', 'friendly')}.",
             f"Task: {task}"]
    if previous:
        lines.append(f"Builds on: {previous[-1]['title']}.")
    for i, term in enumerate(terms):
        lines.append(f"- {OPENERS[(seed + i) % len(OPENERS)]} {term}.")
    lines.append("(Written by the builtin runner: no language model is configured for this run.)")
    return "\n".join(lines)


def run_step(work: dict[str, Any], step: dict[str, Any], previous: list[dict[str, Any]],
             use_llm: bool) -> tuple[str, dict[str, Any]]:
    """(output, meta) of one step; meta says which generator made it (and the model, or the fallback)."""
    config = work["config"] or {}
    task = fill(step["instruction"], config, work["input"])
    if use_llm:
        system = SYSTEM.format(name=work["name"], role=work["role"], scenario=work["scenario_name"],
                               tone=config.get("tone", "friendly"), language=config.get("language", "en"))
        user = orjson.dumps({"step": step["title"], "task": task, "input": work["input"],
                             "previous_steps": [{"title": p["title"], "output": p["output"][:PREVIOUS_CHARS]}
                                                for p in previous]}).decode()
        try:
            answer, meta = complete_json(system, user, schema=StepAnswer)
            return answer.output, {"generator": "llm", "model": meta["model"]}
        except ProviderError as exc:
            if not permanent(exc):
                raise
            log.warning("scenario step %s: LLM failed permanently (%s); using the builtin runner", step["key"],
                        exc.code)
            return builtin_output(work, step, task, previous), {"generator": BUILTIN, "fallback": exc.code}
    return builtin_output(work, step, task, previous), {"generator": BUILTIN}
