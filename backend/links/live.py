"""The result URL of a synchronous analysis, served by the event server (see backend/links/lane.py).

`GET /api/v1/events/links/result/<job_id>?token=` waits (in one of the event server's threads,
polling the job's status with a backoff: one indexed read each) until the job is final or
LINKS_SYNC_WAIT has passed since the API answered, then answers as `POST /links/analyze` would:
200 with the analysis, the analysis error (502/504/422 in the house shape), or 202 with the job.
A missing, tampered or expired token is 401; a job that is not a link analysis is 404.
"""

from __future__ import annotations

import time
from uuid import UUID

from flask import Blueprint, Flask, jsonify, request

from backend.errors import NotFound, Unauthorized
from backend.extensions import db
from backend.jobs import services as jobs
from backend.jobs.models import FINAL, Job
from backend.links import lane, services, settings
from backend.links.routes import job_or_result

live_bp = Blueprint("links_live", __name__)


@live_bp.get(lane.RESULT_PATH.replace("{job_id}", "<uuid:job_id>"))
def result(job_id: UUID):
    """Wait for a link analysis job and answer with its outcome (the token comes from the API's 303)."""
    job_id = str(job_id)
    claims = lane.read_token(request.args.get("token", ""), job_id)
    if claims is None:
        raise Unauthorized("a valid result token is required (POST /links/analyze again)")
    kind = db.session.execute(db.select(Job.kind).where(Job.id == job_id)).scalar_one_or_none()
    if kind != services.KIND:
        raise NotFound("job not found")
    left = settings.number("LINKS_SYNC_WAIT") - (time.time() - claims["t"])
    if services.wait_for(job_id, max(0.0, left)) in FINAL:
        return jsonify(services.outcome(job_id))
    return job_or_result(jobs.public(db.session.get(Job, job_id, populate_existing=True)), False)


def init_events_app(app: Flask) -> None:
    """Mount the result route on the event server (the `events_app` hook)."""
    app.register_blueprint(live_bp)
