"""What each domain event means to whom: the `on_<event>` hooks the notifications domain declares.

Publishers (coocook, auth, meari, exports) call `backend.common.events.publish` after their commit with ids
and the few fields a message needs, so a subscriber issues no reads of its own domain's tables.
Booking events are staged instead (`stage_booking_*`): their two rows are written on the booking's
connection, in its transaction, and announced after its commit (backend.common.events.stage).
"""

from __future__ import annotations

from typing import Any

from backend.notifications.delivery import enqueue_fanout, notify, stage_each
from backend.notifications.models import NotificationType as T

BOOKING_TITLES = {  # event -> (title for the booking's user, title for the chef)
    "created": ("Booking request sent", "New booking request"),
    "confirmed": ("Your booking is confirmed", "You confirmed a booking"),
    "cancelled": ("A booking was cancelled", "A booking was cancelled"),
    "completed": ("Your booking is completed", "You completed a booking"),
}


def _booking(event: str, conn: Any, booking_id: int, user_id: int, chef_user_id: int | None, date: str, slot: str,
             **extra: Any) -> Any:
    type_ = T(f"booking_{event}")
    data = {"booking_id": booking_id, "date": date, "slot": slot, **extra}
    user_title, chef_title = BOOKING_TITLES[event]
    body = f"Booking #{booking_id} on {date} ({slot})"
    content = {"type": str(type_), "body": body, "data": data}
    items = [(user_id, {**content, "title": user_title})]
    if chef_user_id is not None and chef_user_id != user_id:
        items.append((chef_user_id, {**content, "title": chef_title}))
    return stage_each(conn, items)  # both parties, in the booking's own write transaction


def stage_booking_created(conn: Any, **event: Any) -> Any:
    """A user booked a chef: both parties."""
    return _booking("created", conn, **event)


def stage_booking_confirmed(conn: Any, **event: Any) -> Any:
    """The chef confirmed: both parties."""
    return _booking("confirmed", conn, **event)


def stage_booking_cancelled(conn: Any, **event: Any) -> Any:
    """Either party (or an admin) cancelled: both parties."""
    return _booking("cancelled", conn, **event)


def stage_booking_completed(conn: Any, **event: Any) -> Any:
    """The chef completed: both parties."""
    return _booking("completed", conn, **event)


def on_review_created(review_id: int, booking_id: int, chef_user_id: int, rating: int, **_: Any) -> None:
    """A review of a chef's booking: the chef."""
    notify([chef_user_id], T.REVIEW_RECEIVED, f"New review: {rating}/5", f"On booking #{booking_id}",
           {"review_id": review_id, "booking_id": booking_id, "rating": rating})


def on_meari_session_ready(session_id: int, user_id: int, url: str, **_: Any) -> None:
    """A Meari session finished building: its owner."""
    notify([user_id], T.SESSION_READY, "Your session is ready", "", {"session_id": session_id, "url": url})


def on_export_ready(export_id: int, user_id: int, kind: str, url: str, **_: Any) -> None:
    """An export finished rendering: its owner (with where to download it)."""
    notify([user_id], T.EXPORT_READY, "Your export is ready", f"{kind.replace('_', ' ').capitalize()} #{export_id}",
           {"export_id": export_id, "kind": kind, "url": url})


def on_password_changed(user_id: int, **_: Any) -> None:
    """The account's password changed: its owner (who may not have been the one who changed it)."""
    notify([user_id], T.PASSWORD_CHANGED, "Your password was changed",
           "If this was not you, reset your password and contact support.", {})


def on_api_key_changed(user_id: int, key_id: int, prefix: str, key_name: str, action: str, **extra: Any) -> None:
    """One of the account's API keys was rotated or revoked: its owner."""
    if action == "rotated":
        body = f"Key {prefix} ({key_name}) was replaced; it keeps working until {extra.get('grace_until')}."
    else:
        body = f"Key {prefix} ({key_name}) no longer works."
    notify([user_id], T.API_KEY_CHANGED, f"Your API key was {action}", body,
           {"key_id": key_id, "prefix": prefix, "action": action, **extra})


def on_admin_alert(title: str, body: str = "", data: dict[str, Any] | None = None, **_: Any) -> None:
    """Something operators must see: every admin, through the fan-out job."""
    enqueue_fanout({"audience": "admins"}, {"type": str(T.ADMIN_ALERT), "title": title, "body": body,
                                            "data": data or {}})


# This module's own hooks only (not the imported `stage_each`, which would register as an event "each").
HOOKS = {name: fn for name, fn in globals().items()
         if name.startswith(("on_", "stage_")) and getattr(fn, "__module__", None) == __name__}
