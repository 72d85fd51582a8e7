"""Exports HTTP layer: request one (202 + job), read its status, download its file (owner only)."""

from __future__ import annotations

from flask import send_file

from backend.common.actor import ROLES, current_actor
from backend.common.api import api_route
from backend.exports import bp, services
from backend.exports.schemas import ExportAccepted, ExportIn, ExportOut

NO_STORE = {"Cache-Control": "no-store"}  # the stream URL carries a token; files are personal


@api_route(bp, "", "POST", summary="Request an export: 202 at once, the file is made by a job",
           body=ExportIn, response=ExportAccepted, status=202, roles=ROLES, errors=[403, 404], headers=NO_STORE)
def create_export(body: ExportIn):
    accepted = services.create_export(current_actor(), body.kind, body.params)
    return accepted, {"Location": accepted["status_url"]}


@api_route(bp, "/<id:export_id>", summary="An export's status and progress (its owner)", response=ExportOut,
           roles=ROLES, errors=[404], headers=NO_STORE)
def get_export(export_id: int):
    return services.get_export(current_actor(), export_id)


@api_route(bp, "/<id:export_id>/download", summary="Download a ready export (its owner; application/pdf)",
           roles=ROLES, errors=[404, 409, 410])
def download_export(export_id: int):
    found = services.download(current_actor(), export_id)
    response = send_file(found["path"], mimetype=found["content_type"], conditional=True, etag=True, max_age=0)
    response.headers["Content-Disposition"] = found["disposition"]
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
