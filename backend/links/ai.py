"""The AI part of a link: media the model has not seen yet, in batches, with a cost row per call.

Identical media (same SHA-256) are analysed once across every URL (`link_media`); the rest go
to Gemini `LINKS_AI_BATCH` at a time, the batches of one link in parallel. Against the baseline
of one call per medium of every analysis, the calls not made are counted per day and reason
(`link_savings`: batching, dedupe; cache hits are counted by `backend.links.stats`). The link's
analysis is composed here from the per-medium answers (no extra call).
"""

from __future__ import annotations

import datetime as dt
import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import current_app
from pydantic import BaseModel, Field
from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend.common.models import utcnow
from backend.database import write_transaction
from backend.extensions import db
from backend.integrations.gemini import Media, analyze
from backend.links import settings
from backend.links.models import LinkCost, LinkMedium, LinkSaving, SavedBy

PROMPT = ("You analyse the media of a web page for a content-marketing team. Page title: {title!r}. "
          "Description: {description!r}. The {n} attached media are numbered from 0 in order. Answer JSON: "
          '{{"summary": one or two sentences on what the page shows, "media": [{{"index": n, '
          '"description": what the medium shows, "labels": [up to 8 short topic labels], '
          '"text": visible text or null}}]}}.')


class MediumAnswer(BaseModel):
    """The model's answer about one medium."""

    index: int = Field(ge=0)
    description: str
    labels: list[str] = Field(default_factory=list, max_length=20)
    text: str | None = None


class BatchAnswer(BaseModel):
    """The model's answer about one batch (or about the page alone when it has no media)."""

    summary: str
    media: list[MediumAnswer] = Field(default_factory=list)


def _upsert(table: Any, values: list[dict[str, Any]], keys: list[str], add: str | None = None) -> Any:
    """INSERT ... ON CONFLICT (keys) DO NOTHING, or add to column `add`, on either database."""
    dialect = db.session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(table).values(values)
    if add is None:
        return stmt.on_conflict_do_nothing(index_elements=keys)
    return stmt.on_conflict_do_update(index_elements=keys, set_={add: table.c[add] + stmt.excluded[add]})


def record_savings(saved: dict[SavedBy, int]) -> None:
    """Add calls saved to today's counters (one statement per reason with calls)."""
    day = utcnow().date()
    rows = [{"day": day, "reason": r.value, "calls": n} for r, n in saved.items() if n > 0]
    if rows:
        with write_transaction(db.session) as tx:
            for row in rows:
                tx.execute(_upsert(LinkSaving.__table__, [row], ["day", "reason"], add="calls"))


def _call(app: Any, prompt: str, media: list[Media]) -> tuple[BatchAnswer, dict[str, Any]]:
    with app.app_context():
        return analyze(prompt, media, schema=BatchAnswer)


def _calls(prompt_for: Any, batches: list[list[tuple[str, str, bytes]]]) -> list[tuple[BatchAnswer, dict]]:
    """One model call per batch, in parallel (ProviderError of any batch propagates)."""
    app = current_app._get_current_object()
    jobs = [(prompt_for(len(b)), [Media(mime, data) for _, mime, data in b]) for b in batches]
    if len(jobs) == 1:
        return [_call(app, *jobs[0])]
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="links-ai") as pool:
        return list(pool.map(lambda j: _call(app, *j), jobs))


def _store(url_hash: str, batches: list[list[tuple[str, str, bytes]]],
           answers: list[tuple[BatchAnswer, dict]]) -> dict[str, dict[str, Any]]:
    """Per-medium answers and one cost row per call, in one transaction; returns hash -> analysis."""
    found: dict[str, dict[str, Any]] = {}
    media_rows, cost_rows = [], []
    now = utcnow()
    for batch, (answer, meta) in zip(batches, answers, strict=True):
        by_index = {m.index: m for m in answer.media}
        for i, (content_hash, mime, data) in enumerate(batch):
            item = by_index.get(i) or (answer.media[i] if i < len(answer.media) else None)
            analysis = {"description": item.description if item else answer.summary,
                        "labels": item.labels if item else [], "text": item.text if item else None}
            found[content_hash] = analysis
            media_rows.append({"content_hash": content_hash, "mime_type": mime[:100], "size": len(data),
                               "analysis": analysis, "model": meta["model"][:64], "analysed_at": now})
        cost_rows.append({"at": now, "model": meta["model"][:64], "url_hash": url_hash, "media": meta["media"],
                          "input_tokens": meta["usage"]["input_tokens"],
                          "output_tokens": meta["usage"]["output_tokens"], "cost_usd": meta["cost_usd"]})
    with write_transaction(db.session) as tx:
        if media_rows:  # a concurrent job may have stored the same medium: the first answer stays
            tx.execute(_upsert(LinkMedium.__table__, media_rows, ["content_hash"]))
        tx.execute(insert(LinkCost), cost_rows)
    return found


def known_media(hashes: list[str]) -> dict[str, dict[str, Any]]:
    """Analyses already stored for these content hashes."""
    if not hashes:
        return {}
    rows = db.session.execute(select(LinkMedium.content_hash, LinkMedium.analysis)
                              .where(LinkMedium.content_hash.in_(hashes))).all()
    return {r.content_hash: r.analysis for r in rows}


def run(url_hash: str, meta: dict[str, Any], media: list[dict[str, Any]], data: dict[str, bytes],
        known: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], str | None]:
    """Analyse what is not `known` (bytes in `data` by content hash); returns (ai_analysis, model).

    Raises:
        ProviderNotConfigured / ProviderError: from the adapter (the caller records the status).
    """
    order = list(dict.fromkeys(m["content_hash"] for m in media))
    mime = {m["content_hash"]: m["mime_type"] for m in media}
    todo = [h for h in order if h not in known and h in data]
    missing = [h for h in order if h not in known and h not in data]  # their download failed
    size = max(1, settings.number("LINKS_AI_BATCH", int))
    batches = [[(h, mime[h], data[h]) for h in todo[i:i + size]] for i in range(0, len(todo), size)]
    if not media:
        batches = [[]]  # a page without media: one call on its text

    def prompt_for(n: int) -> str:
        return PROMPT.format(title=meta.get("title") or "", description=meta.get("description") or "", n=n)

    answers = _calls(prompt_for, batches) if batches else []
    fresh = _store(url_hash, batches, answers) if answers else {}
    record_savings({SavedBy.DEDUPE: len(media) - len(todo) - len(missing),
                    SavedBy.BATCHING: len(todo) - math.ceil(len(todo) / size)})
    per_medium = [{"content_hash": h, **(fresh.get(h) or known[h])} for h in order if h in fresh or h in known]
    summaries = [a.summary for a, _ in answers]
    labels = list(dict.fromkeys(label for m in per_medium for label in m.get("labels", [])))
    summary = " ".join(summaries) if summaries else " ".join(m["description"] for m in per_medium)[:1000]
    model = answers[0][1]["model"] if answers else None
    return {"summary": summary or None, "labels": labels[:30], "media": per_medium, "calls": len(answers),
            "analysed_at": dt.datetime.now(dt.UTC).isoformat()}, model
