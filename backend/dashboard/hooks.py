"""Which domain events make whose dashboard stale: the `on_<event>` hooks the dashboard declares.

Publishers call these after their commit (backend/common/events.py), so a bump never precedes the
write it is about. Notifications are counted on the dashboard; the notifications domain creates
them (for bookings, staged in the booking's own transaction) and announces them with events of
their own (`notifications_stored`, `notifications_read`) once its rows are committed.
"""

from __future__ import annotations

from typing import Any

from backend.dashboard.cache import changed


def _booking(user_id: int, chef_user_id: int | None = None, **_: Any) -> None:
    changed(user_id, chef_user_id)


on_booking_created = on_booking_confirmed = on_booking_cancelled = on_booking_completed = _booking


def on_review_created(chef_user_id: int | None = None, **_: Any) -> None:
    """A review changes the chef's rating trend and latest reviews."""
    changed(chef_user_id)


def on_meari_session_ready(user_id: int, **_: Any) -> None:
    """A finished session shows as ready in its owner's recent sessions."""
    changed(user_id)


def on_notifications_stored(user_ids: list[int], **_: Any) -> None:
    """New notifications move these users' unread counts."""
    changed(*user_ids)


def on_notifications_read(user_id: int, **_: Any) -> None:
    """The user read notifications."""
    changed(user_id)


def on_export_changed(user_id: int, **_: Any) -> None:
    """An export of the user was requested, finished or failed (its recent exports)."""
    changed(user_id)


HOOKS = {"on_booking_created": on_booking_created, "on_booking_confirmed": on_booking_confirmed,
         "on_booking_cancelled": on_booking_cancelled, "on_booking_completed": on_booking_completed,
         "on_review_created": on_review_created, "on_meari_session_ready": on_meari_session_ready,
         "on_notifications_stored": on_notifications_stored, "on_notifications_read": on_notifications_read,
         "on_export_changed": on_export_changed}
