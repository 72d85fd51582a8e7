"""Exports as their owner sees them: request (row + job), status, download; and the job's render step.

Visibility: only the export's owner sees it or downloads it; anyone else, administrators
included, gets 404 (a receipt or a statement is someone's own business; operators follow the job,
whose public form carries no payload).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any
from urllib.parse import quote

from flask import current_app
from pydantic import ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.orm import raiseload

from backend.auth.models import User
from backend.common.actor import Actor
from backend.common.domain import API_PREFIX
from backend.common.events import publish
from backend.common.models import utcnow
from backend.database import write_transaction
from backend.errors import APIError, Conflict, Forbidden, NotFound, ValidationFailed, field_errors
from backend.exports import kinds, storage
from backend.exports.kinds import Owner, RenderContext
from backend.exports.models import Export, ExportStatus
from backend.extensions import db
from backend.jobs.errors import JobFailed
from backend.jobs.models import Job
from backend.jobs.services import enqueue

KIND = "exports.render"
QUEUED, RUNNING, READY, FAILED, EXPIRED = ExportStatus


class Gone(APIError):
    """The export existed, but its file was deleted after the retention period."""

    status = 410
    code = "export_expired"


def export_path(export_id: int) -> str:
    """The export's status URL path."""
    return f"{API_PREFIX}/exports/{export_id}"


def validate(actor: Actor, kind_name: str, params: dict[str, Any]) -> tuple[kinds.ExportKind, Any]:
    """The kind and its validated params, or 422 (unknown kind, bad params), 403 (role), 404 (object)."""
    kind = kinds.get(kind_name)
    if kind is None:
        raise ValidationFailed("unknown export kind", {"location": "body", "fields": {
            "kind": f"must be one of: {', '.join(sorted(kinds.KINDS))}"}})
    try:
        parsed = kind.params.model_validate(params)
    except ValidationError as exc:
        details = field_errors(exc)
        details["fields"] = {f"params.{name}" if name != "body" else "params": msg
                             for name, msg in details["fields"].items()}
        raise ValidationFailed(f"params are invalid for {kind.name}", details) from None
    if kind.roles is not None and str(actor.role) not in kind.roles:
        raise Forbidden(f"{kind.name} exports are for {' or '.join(kind.roles)} accounts")
    if kind.authorize is not None:
        kind.authorize(actor, parsed)
    return kind, parsed


def create_export(actor: Actor, kind_name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Commit a queued export, then its job; returns where to follow it (the job may finish at once)."""
    kind, parsed = validate(actor, kind_name, params)
    stored = parsed.model_dump(mode="json", by_alias=True)
    with write_transaction(db.session) as tx:
        export_id = tx.execute(insert(Export).values(user_id=actor.id, kind=kind.name, params=stored,
                                                     status=QUEUED.value, created_at=utcnow())
                               .returning(Export.id)).scalar_one()
    job = enqueue(KIND, {"export_id": export_id}, actor.id)  # commits the job, then queues it
    with write_transaction(db.session) as tx:  # the job row exists now, so the FK can point at it
        tx.execute(update(Export).where(Export.id == export_id).values(job_id=job["id"]))
    publish("export_changed", user_id=actor.id, export_id=export_id)
    return {**get_export(actor, export_id), "stream_url": job["stream_url"]}


def _row(actor: Actor, export_id: int) -> Any:
    row = db.session.execute(
        select(Export, Job.status.label("job_status"), Job.progress.label("job_progress"),
               Job.message.label("job_message"), Job.error_message.label("job_error"))
        .outerjoin(Job, Job.id == Export.job_id).where(Export.id == export_id)
        .options(raiseload("*"))).first()  # an N+1 tripwire: nothing here may load lazily
    if row is None or row.Export.user_id != actor.id:
        raise NotFound("export not found", code="export_not_found")
    return row


def get_export(actor: Actor, export_id: int) -> dict[str, Any]:
    """The export's status (one statement); 404 unless it is the actor's."""
    row = _row(actor, export_id)
    e = row.Export
    status = e.status
    if status in (QUEUED.value, RUNNING.value) and row.job_status in ("failed", "cancelled"):
        status = FAILED.value  # the job ended without the handler recording it (cancel, dead worker)
    progress = 100 if status in (READY.value, EXPIRED.value) else (row.job_progress or 0)
    error = None
    if status == FAILED.value:
        error = {"code": e.error_code or "failed", "message": row.job_error or "the export could not be made"}
    return {"id": e.id, "kind": e.kind, "status": status, "params": e.params, "progress": progress,
            "message": row.job_message, "error": error, "job_id": e.job_id, "filename": e.filename,
            "content_type": e.content_type, "size": e.size, "rows": e.rows, "created_at": e.created_at,
            "finished_at": e.finished_at, "expires_at": e.expires_at, "status_url": export_path(e.id),
            "download_url": f"{export_path(e.id)}/download" if status == READY.value else None}


def download(actor: Actor, export_id: int) -> dict[str, Any]:
    """Where the actor's ready file is and how to name it; 404 (not theirs), 409 (not ready), 410 (expired)."""
    row = _row(actor, export_id)
    e = row.Export
    if e.status == EXPIRED.value:
        raise Gone("this export's file was deleted after the retention period; request a new one")
    if e.status != READY.value or not e.stored_name:
        raise Conflict(f"the export is {e.status}", {"status": e.status}, code="export_not_ready")
    path = storage.path_of(e.stored_name)
    if not path.is_file():
        raise Gone("this export's file is no longer stored; request a new one")
    return {"path": str(path), "content_type": e.content_type, "disposition": content_disposition(e.filename)}


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII-only `filename` and the exact name as RFC 5987 `filename*`."""
    stem, dot, ext = filename.rpartition(".")
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem if dot else filename).strip("._-") or "export"
    fallback = f"{ascii_stem[:100]}.{re.sub(r'[^A-Za-z0-9]', '', ext)}" if dot else ascii_stem[:100]
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def render(export_id: int, progress: Any) -> dict[str, Any]:
    """The job's work: render the export's file, store it, mark the export ready; returns the job result."""
    row = db.session.execute(select(Export.id, Export.user_id, Export.kind, Export.params, Export.status,
                                    User.role, User.name).join(User, User.id == Export.user_id)
                             .where(Export.id == export_id)).first()
    db.session.commit()  # end the read snapshot before the long work
    if row is None:
        raise JobFailed("export_gone", "the export no longer exists")
    kind = kinds.get(row.kind)
    if kind is None:
        raise JobFailed("unknown_kind", f"no export kind {row.kind!r} is registered")
    params = kind.params.model_validate(row.params)
    owner = Owner(row.user_id, row.role, row.name)
    _set(export_id, status=RUNNING.value)
    name = storage.new_name(export_id, kind.extension)
    final = storage.path_of(name)
    part = final.with_name(final.name + ".part")
    try:
        with open(part, "wb") as out:
            rows = kind.render(RenderContext(owner, out, progress, current_app.config["EXPORTS_MAX_ROWS"]), params)
        db.session.commit()  # the renderer's reads
        os.replace(part, final)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    now = utcnow()
    filename = f"{kind.filename(owner, params)[:150]}.{kind.extension}"
    _set(export_id, status=READY.value, stored_name=name, filename=filename, content_type=kind.content_type,
         size=final.stat().st_size, rows=rows, finished_at=now, error_code=None,
         expires_at=now + dt.timedelta(hours=current_app.config["EXPORTS_RETENTION_HOURS"]))
    publish("export_changed", user_id=owner.id, export_id=export_id)
    publish("export_ready", export_id=export_id, user_id=owner.id, kind=kind.name,
            url=f"{export_path(export_id)}/download")
    return {"export_id": export_id, "rows": rows, "size": final.stat().st_size, "status_url": export_path(export_id)}


def mark_failed(export_id: int, code: str) -> None:
    """Record a final failure on the export (its job holds the details)."""
    user_id = db.session.execute(select(Export.user_id).where(Export.id == export_id)).scalar()
    _set(export_id, status=FAILED.value, error_code=code[:64], finished_at=utcnow())
    if user_id is not None:
        publish("export_changed", user_id=user_id, export_id=export_id)


def _set(export_id: int, **values: Any) -> None:
    with write_transaction(db.session) as tx:
        tx.execute(update(Export).where(Export.id == export_id).values(**values))


def purge_expired(now: dt.datetime | None = None, batch: int = 500) -> int:
    """Delete the files of ready exports past their expiry and mark them expired; returns how many."""
    now = now or utcnow()
    purged = 0
    while True:
        rows = db.session.execute(select(Export.id, Export.stored_name, Export.user_id)
                                  .where(Export.status == READY.value, Export.expires_at <= now)
                                  .order_by(Export.expires_at).limit(batch)).all()
        db.session.commit()
        if not rows:
            return purged
        for row in rows:
            storage.remove(row.stored_name)
        with write_transaction(db.session) as tx:
            tx.execute(update(Export).where(Export.id.in_([r.id for r in rows]))
                       .values(status=EXPIRED.value, stored_name=None))
        for user_id in {r.user_id for r in rows}:
            publish("export_changed", user_id=user_id, export_id=None)
        purged += len(rows)
        if len(rows) < batch:
            return purged
