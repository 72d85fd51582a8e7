"""Meari sessions: create (row + job), read status, detail and list, and record the job's result.

Visibility: only the session's owner sees it; anyone else, administrators included, gets 404
(a session holds what someone wrote about their own life; operators follow the job instead,
whose public form carries no payload).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update

from backend.common.actor import Actor
from backend.common.domain import API_PREFIX
from backend.common.events import publish
from backend.common.models import utcnow
from backend.common.pagination import cursor_datetime, cursor_id, decode_cursor, encode_cursor, envelope
from backend.database import write_transaction
from backend.errors import NotFound
from backend.extensions import db
from backend.jobs.models import Job, JobStatus
from backend.jobs.services import enqueue
from backend.meari import cache
from backend.meari.models import MeariCard, MeariSession, SessionStatus
from backend.meari.schemas import Card, Persona

KIND = "meari.session"
PROCESSING, READY, FAILED = SessionStatus
ENDED = {JobStatus.FAILED.value, JobStatus.CANCELLED.value}
ACTIVE = {JobStatus.QUEUED.value, JobStatus.RUNNING.value}


def effective_status(status: str, job_status: str | None) -> str:
    """The session's status as its job stands.

    `failed` when the job ended without building it (cancelled, or its worker died on the last
    attempt: the handler never saw that), `processing` again while an operator re-runs a failed one.
    """
    if status == PROCESSING.value and job_status in ENDED:
        return FAILED.value
    if status == FAILED.value and job_status in ACTIVE:
        return PROCESSING.value
    return status


def create_session(actor: Actor, concern: str, language: str) -> dict[str, Any]:
    """Commit a `processing` session, then its job; returns where to follow it."""
    now = utcnow()
    with write_transaction(db.session) as tx:
        session_id = tx.execute(insert(MeariSession).values(
            user_id=actor.id, status=PROCESSING.value, concern=concern, language=language,
            created_at=now, updated_at=now).returning(MeariSession.id)).scalar_one()
    job = enqueue(KIND, {"session_id": session_id}, actor.id)  # commits the job, then queues it
    with write_transaction(db.session) as tx:  # the job exists now, so the FK can point at it
        tx.execute(update(MeariSession).where(MeariSession.id == session_id).values(job_id=job["id"]))
    cache.changed(session_id)
    return {"session_id": session_id, "status": PROCESSING.value, "job_id": job["id"],
            "status_url": f"{session_path(session_id)}/status", "stream_url": job["stream_url"],
            "location": session_path(session_id)}


def session_path(session_id: int) -> str:
    """The session's URL path (also built in the worker, where there is no request to build URLs from)."""
    return f"{API_PREFIX}/meari/sessions/{session_id}"


def _row(actor: Actor, session_id: int) -> Any:
    """The session's columns with its job's status/progress/error (one statement); 404 unless the owner's."""
    row = db.session.execute(
        select(MeariSession, Job.status.label("job_status"), Job.progress.label("job_progress"),
               Job.error_code.label("job_error_code"), Job.error_message.label("job_error_message"))
        .outerjoin(Job, Job.id == MeariSession.job_id).where(MeariSession.id == session_id)).first()
    if row is None or row.MeariSession.user_id != actor.id:
        raise NotFound("session not found")
    return row


def _error(row: Any, status: str) -> dict[str, Any] | None:
    if status != FAILED.value:
        return None
    return {"code": row.MeariSession.error_code or row.job_error_code or "failed",
            "message": row.job_error_message or "the session could not be built"}


def session_status(actor: Actor, session_id: int) -> dict[str, Any]:
    """{status, progress, job_status, error}, read from the job (never cached: it moves)."""
    row = _row(actor, session_id)
    status = effective_status(row.MeariSession.status, row.job_status)
    progress = 100 if status == READY.value else (row.job_progress or 0)
    return {"status": status, "progress": progress, "job_status": row.job_status, "error": _error(row, status)}


def get_session(actor: Actor, session_id: int) -> dict[str, Any]:
    """The session with persona and cards: two statements, or none from the cache once it is ready."""
    store = cache.session_cache()
    generation = cache.generation(session_id)  # before the database: see backend/meari/cache.py
    if generation is not None:
        hit = store.get(session_id, generation)
        if hit is not None:
            owner, body = hit
            if owner != actor.id:
                raise NotFound("session not found")
            return body
    row = _row(actor, session_id)
    cards = db.session.execute(select(MeariCard.kind, MeariCard.title, MeariCard.body)
                               .where(MeariCard.session_id == session_id).order_by(MeariCard.position)).all()
    body = public(row, [{"kind": c.kind, "title": c.title, "body": c.body} for c in cards])
    # Only `ready` is stable: a processing session changes by the second, and a failed one turns back
    # to processing when an operator re-runs its job (the jobs service bumps no meari generation).
    if generation is not None and body["status"] == READY.value:
        store.put(session_id, generation, (actor.id, body))
    return body


def public(row: Any, cards: list[dict[str, Any]]) -> dict[str, Any]:
    """A session as its owner sees it."""
    s = row.MeariSession
    status = effective_status(s.status, row.job_status)
    return {"id": s.id, "status": status, "concern": s.concern, "language": s.language, "persona": s.persona,
            "cards": cards, "generator": s.generator, "external": s.external, "timings": s.timings,
            "error": _error(row, status), "job_id": s.job_id, "created_at": s.created_at,
            "updated_at": s.updated_at}


def list_sessions(actor: Actor, per_page: int, cursor: str | None) -> dict[str, Any]:
    """My sessions newest first, in keyset pages (two statements: the page and the total)."""
    where = [MeariSession.user_id == actor.id]
    query = (select(MeariSession.id, MeariSession.status, MeariSession.concern, MeariSession.language,
                    MeariSession.persona, MeariSession.generator, MeariSession.created_at,
                    Job.status.label("job_status"))
             .outerjoin(Job, Job.id == MeariSession.job_id).where(*where)
             .order_by(MeariSession.created_at.desc(), MeariSession.id.desc()).limit(per_page + 1))
    if cursor:
        at, last_id = decode_cursor(cursor, "created", [cursor_datetime, cursor_id])
        query = query.where((MeariSession.created_at < at)
                            | ((MeariSession.created_at == at) & (MeariSession.id < last_id)))
    rows = db.session.execute(query).all()
    total = db.session.execute(select(func.count()).select_from(MeariSession).where(*where)).scalar_one()
    more = len(rows) > per_page
    rows = rows[:per_page]
    items = [{"id": r.id, "status": effective_status(r.status, r.job_status), "concern": r.concern,
              "language": r.language, "persona_name": (r.persona or {}).get("name"), "generator": r.generator,
              "created_at": r.created_at} for r in rows]
    next_cursor = encode_cursor("created", [rows[-1].created_at.isoformat(), rows[-1].id]) if more else None
    return envelope(items, None, per_page, total, next_cursor)


def load_for_job(session_id: int) -> tuple[str, str] | None:
    """(concern, language) of the session a job builds; None when it is gone."""
    row = db.session.execute(select(MeariSession.concern, MeariSession.language)
                             .where(MeariSession.id == session_id)).first()
    db.session.commit()  # end the read snapshot before the long steps
    return (row.concern, row.language) if row is not None else None


def save_result(session_id: int, persona: Persona, cards: list[Card], generator: str,
                external: dict[str, Any] | None, timings: dict[str, float]) -> None:
    """Store what the job built (its cards replace any earlier attempt's), ready; then invalidate."""
    with write_transaction(db.session) as tx:
        owner = tx.execute(update(MeariSession).where(MeariSession.id == session_id).values(
            status=READY.value, persona=persona.model_dump(mode="json"), generator=generator, external=external,
            timings=timings, error_code=None, updated_at=utcnow()).returning(MeariSession.user_id)).scalar()
        tx.execute(delete(MeariCard).where(MeariCard.session_id == session_id))
        tx.execute(insert(MeariCard), [{"session_id": session_id, "position": i, "kind": c.kind.value,
                                        "title": c.title, "body": c.body} for i, c in enumerate(cards)])
    cache.changed(session_id)
    if owner is not None:
        publish("meari_session_ready", session_id=session_id, user_id=owner, url=session_path(session_id))


def mark_failed(session_id: int, code: str) -> None:
    """Record a final failure on the session (its job records the details); then invalidate."""
    with write_transaction(db.session) as tx:
        tx.execute(update(MeariSession).where(MeariSession.id == session_id, MeariSession.status != READY.value)
                   .values(status=FAILED.value, error_code=code[:64], updated_at=utcnow()))
    cache.changed(session_id)

