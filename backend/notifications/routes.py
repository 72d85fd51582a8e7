"""Notifications HTTP layer: parse -> call a service -> serialise. No queries, no rules here."""

from __future__ import annotations

from backend.common.actor import ROLES, Role, current_actor
from backend.common.api import api_route
from backend.jobs.schemas import JobOut
from backend.notifications import bp, delivery, services
from backend.notifications.schemas import (
    BroadcastIn,
    NotificationListQuery,
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
    ReadAllOut,
    StreamUrlOut,
    UnreadCount,
)

PRIVATE = {"Cache-Control": "private, no-store"}  # per-user and changing; the stream URL carries a token


@api_route(bp, "", summary="My notifications: unread first, then newest first (cursor pages)",
           query=NotificationListQuery, response=NotificationPage, roles=ROLES, headers=PRIVATE)
def list_notifications(query: NotificationListQuery):
    return services.list_notifications(current_actor(), query.unread, query.per_page, query.cursor)


@api_route(bp, "/unread-count", summary="How many of my notifications are unread", response=UnreadCount,
           roles=ROLES, headers=PRIVATE)
def unread_count():
    return services.unread_count(current_actor())


@api_route(bp, "/<id:notification_id>/read", "POST", summary="Mark one of my notifications read",
           response=NotificationOut, roles=ROLES, errors=[404], headers=PRIVATE)
def mark_read(notification_id: int):
    return services.mark_read(current_actor(), notification_id)


@api_route(bp, "/read-all", "POST", summary="Mark all my notifications read", response=ReadAllOut, roles=ROLES,
           headers=PRIVATE)
def read_all():
    return services.read_all(current_actor())


@api_route(bp, "/preferences", summary="My notification preferences", response=PreferencesOut, roles=ROLES,
           headers=PRIVATE)
def get_preferences():
    return services.get_preferences(current_actor())


@api_route(bp, "/preferences", "PUT", summary="Replace my notification preferences", body=PreferencesIn,
           response=PreferencesOut, roles=ROLES, headers=PRIVATE)
def set_preferences(body: PreferencesIn):
    return services.set_preferences(current_actor(), body.disabled_types, body.email)


@api_route(bp, "/stream-url", summary="A signed URL to stream my notifications live (event server)",
           response=StreamUrlOut, roles=ROLES, headers=PRIVATE)
def stream_url():
    return services.stream_url(current_actor())


@api_route(bp, "/broadcast", "POST", summary="Notify every admin or everyone (admin): 202 with the fan-out job",
           body=BroadcastIn, response=JobOut, status=202, roles=(Role.ADMIN,), headers=PRIVATE)
def broadcast(body: BroadcastIn):
    type_ = "admin_alert" if body.audience == "admins" else "announcement"
    job = delivery.enqueue_fanout({"audience": body.audience},
                                  {"type": type_, "title": body.title, "body": body.body, "data": {}},
                                  current_actor().id)
    return job, {"Location": job["status_url"]}
