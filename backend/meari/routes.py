"""Meari HTTP layer: parse -> call a service -> serialise. No queries, no rules here."""

from __future__ import annotations

from backend.common.actor import ROLES, current_actor
from backend.common.api import api_route
from backend.meari import bp, services
from backend.meari.schemas import (
    SessionAccepted,
    SessionIn,
    SessionListQuery,
    SessionOut,
    SessionPage,
    SessionStatusOut,
)

NO_STORE = {"Cache-Control": "no-store"}  # the stream URL carries a token


@api_route(bp, "/sessions", "POST", summary="Start a session: 202 at once, the work runs as a job",
           body=SessionIn, response=SessionAccepted, status=202, roles=ROLES, headers=NO_STORE)
def create_session(body: SessionIn):
    accepted = services.create_session(current_actor(), body.concern, body.language)
    return accepted, {"Location": accepted.pop("location")}


@api_route(bp, "/sessions", summary="My sessions, newest first (cursor pages)", query=SessionListQuery,
           response=SessionPage, roles=ROLES)
def list_sessions(query: SessionListQuery):
    return services.list_sessions(current_actor(), query.per_page, query.cursor)


@api_route(bp, "/sessions/<id:session_id>", summary="A session with its persona and cards (its owner)",
           response=SessionOut, roles=ROLES, errors=[404])
def get_session(session_id: int):
    return services.get_session(current_actor(), session_id)


@api_route(bp, "/sessions/<id:session_id>/status", summary="A session's status and progress, from its job",
           response=SessionStatusOut, roles=ROLES, errors=[404], headers=NO_STORE)
def session_status(session_id: int):
    return services.session_status(current_actor(), session_id)
