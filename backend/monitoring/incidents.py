"""Incidents: created with linked alerts, moved through open -> acknowledged -> resolved, each step on a timeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select

from backend.common.actor import Actor
from backend.common.models import utcnow
from backend.common.pagination import cursor_id, decode_cursor, encode_cursor, envelope
from backend.database import write_transaction
from backend.errors import NotFound
from backend.extensions import db
from backend.monitoring.models import Alert, Incident, IncidentAlert, IncidentEvent


def _event(tx: Any, incident_id: int, type_: str, message: str, actor: Actor, data: dict | None = None) -> None:
    tx.add(IncidentEvent(incident_id=incident_id, type=type_, message=message, data=data or {}, actor_id=actor.id,
                         created_at=utcnow()))


def _link(tx: Any, incident_id: int, alert_ids: list[int], actor: Actor) -> None:
    """Link existing alerts not linked yet (an unknown id is a 404 naming it)."""
    wanted = sorted(set(alert_ids))
    if not wanted:
        return
    found = set(tx.execute(select(Alert.id).where(Alert.id.in_(wanted))).scalars())
    missing = [a for a in wanted if a not in found]
    if missing:
        raise NotFound("no such alert", {"alert_ids": missing})
    linked = set(tx.execute(select(IncidentAlert.alert_id).where(IncidentAlert.incident_id == incident_id,
                                                                 IncidentAlert.alert_id.in_(wanted))).scalars())
    new = [a for a in wanted if a not in linked]
    if new:
        tx.execute(insert(IncidentAlert), [{"incident_id": incident_id, "alert_id": a} for a in new])
        _event(tx, incident_id, "alerts_linked", f"linked alert(s) {', '.join(map(str, new))}", actor,
               {"alert_ids": new})


def detail(incident_id: int) -> dict[str, Any]:
    """An incident with its alert ids and its timeline, oldest event first (3 statements)."""
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("no such incident", {"incident_id": incident_id})
    alert_ids = list(db.session.execute(select(IncidentAlert.alert_id).where(IncidentAlert.incident_id == incident_id)
                                        .order_by(IncidentAlert.alert_id)).scalars())
    events = db.session.execute(select(IncidentEvent).where(IncidentEvent.incident_id == incident_id)
                                .order_by(IncidentEvent.id)).scalars()
    return {"id": incident.id, "title": incident.title, "severity": incident.severity, "status": incident.status,
            "created_by": incident.created_by, "created_at": incident.created_at, "updated_at": incident.updated_at,
            "resolved_at": incident.resolved_at, "alert_ids": alert_ids,
            "timeline": [{"id": e.id, "type": e.type, "message": e.message, "data": e.data or {},
                          "actor_id": e.actor_id, "created_at": e.created_at} for e in events]}


def create(actor: Actor, title: str, severity: str, alert_ids: list[int], note: str) -> dict[str, Any]:
    """Open an incident, link its alerts, start its timeline."""
    now = utcnow()
    with write_transaction(db.session) as tx:
        incident = Incident(title=title, severity=severity, status="open", created_by=actor.id, created_at=now,
                            updated_at=now)
        tx.add(incident)
        tx.flush()
        _event(tx, incident.id, "created", note or f"opened: {title}", actor, {"severity": severity})
        _link(tx, incident.id, alert_ids, actor)
        incident_id = incident.id
    return detail(incident_id)


def update(actor: Actor, incident_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change status, add a note, link alerts; each is one timeline event."""
    now = utcnow()
    with write_transaction(db.session) as tx:
        incident = tx.get(Incident, incident_id)
        if incident is None:
            raise NotFound("no such incident", {"incident_id": incident_id})
        status = changes.get("status")
        if status and status != incident.status:
            _event(tx, incident_id, "status", f"{incident.status} -> {status}", actor,
                   {"from": incident.status, "to": status})
            incident.status = status
            incident.resolved_at = now if status == "resolved" else None
        if changes.get("note"):
            _event(tx, incident_id, "note", changes["note"], actor)
        _link(tx, incident_id, changes.get("alert_ids") or [], actor)
        incident.updated_at = now
    return detail(incident_id)


def list_incidents(status: str | None, per_page: int, cursor: str | None) -> dict[str, Any]:
    """Newest first with their alert counts (one count, one page query with an aggregate)."""
    filters = [Incident.status == status] if status else []
    total = db.session.execute(select(func.count()).select_from(Incident).where(*filters)).scalar_one()
    counts = (select(IncidentAlert.incident_id, func.count().label("n")).group_by(IncidentAlert.incident_id)
              .subquery())
    query = (select(Incident, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.incident_id == Incident.id)
             .where(*filters))
    if cursor:
        (before,) = decode_cursor(cursor, "incidents", [cursor_id])
        query = query.where(Incident.id < before)
    rows = db.session.execute(query.order_by(Incident.id.desc()).limit(per_page + 1)).all()
    more, rows = len(rows) > per_page, rows[:per_page]
    items = [{"id": i.id, "title": i.title, "severity": i.severity, "status": i.status, "created_at": i.created_at,
              "updated_at": i.updated_at, "resolved_at": i.resolved_at, "alert_count": n} for i, n in rows]
    return envelope(items, None, per_page, total, encode_cursor("incidents", [rows[-1][0].id]) if more and rows
                    else None)
