"""Notifications: stored per user, created from other domains' events, read over the API, streamed live.

Other domains never import this package: they `backend.common.events.publish(...)` after their
commit (or `stage(...)` inside it, for bookings) and the `on_<event>` / `stage_<event>` hooks
declared here (subscribers.py) turn events into notifications.
The live stream is served by the event server (live.py, added through the `events_app` hook).
See docs/operations.md "Notifications".
"""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("notifications", __name__)

from backend.notifications import routes, tasks  # noqa: E402,F401  (registers the views and job handlers)
from backend.notifications.live import init_events_app  # noqa: E402
from backend.notifications.subscribers import HOOKS  # noqa: E402

domain = Domain("notifications", bp, "/notifications", hooks={**HOOKS, "events_app": init_events_app})
