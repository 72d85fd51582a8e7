"""Jobs HTTP layer: parse -> call a service -> serialise. A job id is a uuid (anything else 404s)."""

from __future__ import annotations

from uuid import UUID

from flask import redirect, request

from backend.common.actor import ROLES, Role, current_actor
from backend.common.api import api_route
from backend.jobs import bp, services
from backend.jobs.schemas import EventPage, EventsQuery, JobListQuery, JobOut, JobPage

ADMIN = (Role.ADMIN,)
NO_STORE = {"Cache-Control": "no-store"}  # the stream URL carries a token


@api_route(bp, "/jobs/<uuid:job_id>", summary="A job: status, progress, result or error (owner or admin)",
           response=JobOut, roles=ROLES, errors=[404], headers=NO_STORE)
def get_job(job_id: UUID):
    return services.get_job(current_actor(), str(job_id))


@api_route(bp, "/jobs/<uuid:job_id>/cancel", "POST", summary="Cancel a queued or running job",
           response=JobOut, roles=ROLES, errors=[404, 409], headers=NO_STORE)
def cancel_job(job_id: UUID):
    return services.cancel(current_actor(), str(job_id))


@api_route(bp, "/jobs/<uuid:job_id>/events", summary="Poll a job's progress events after a seq (a client that "
           "accepts text/event-stream or application/x-ndjson is redirected to the stream)",
           query=EventsQuery, response=EventPage, roles=ROLES, errors=[404])
def job_events(job_id: UUID, query: EventsQuery):
    accept = request.accept_mimetypes
    if max(accept.quality("text/event-stream"), accept.quality("application/x-ndjson")) > accept.quality(
            "application/json"):
        return redirect(services.get_job(current_actor(), str(job_id))["stream_url"], 307)
    return services.events(current_actor(), str(job_id), query.after, query.limit)


@api_route(bp, "/admin/jobs", summary="Jobs by status and kind, newest first (admin; status=failed is the "
           "dead-letter list)", query=JobListQuery, response=JobPage, roles=ADMIN, headers=NO_STORE)
def list_jobs(query: JobListQuery):
    return services.list_jobs(query.status, query.kind, query.per_page, query.cursor)


@api_route(bp, "/admin/jobs/<uuid:job_id>/retry", "POST", summary="Re-run a failed or cancelled job (admin)",
           response=JobOut, roles=ADMIN, errors=[404, 409], headers=NO_STORE)
def retry_job(job_id: UUID):
    return services.retry(str(job_id))
