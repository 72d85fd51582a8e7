"""Domain events: a publisher says what happened; domains that care subscribe through their hooks.

`publish("booking_confirmed", booking_id=..., ...)` calls every registered domain's hook named
`on_booking_confirmed` with the keyword data. Publishers call it *after* their commit, so a
subscriber sees committed rows and its own failure cannot undo the publisher's work: a subscriber
that raises is logged and the others still run (the request that caused the event has succeeded).
This keeps the dependency one way: coocook, auth and meari know event names, not who listens.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from backend.common.domain import hooks

log = logging.getLogger(__name__)


def publish(name: str, **data: Any) -> int:
    """Deliver event `name` to each subscriber (`on_<name>` hooks); returns how many ran cleanly."""
    delivered = 0
    for subscriber in hooks(current_app, f"on_{name}"):
        try:
            subscriber(**data)
            delivered += 1
        except Exception:  # the publisher's commit stands; a lost notification is logged, not a 500
            log.exception("event %s: subscriber %s failed", name, getattr(subscriber, "__qualname__", subscriber))
    return delivered
