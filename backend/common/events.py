"""Domain events: a publisher says what happened; domains that care subscribe through their hooks.

`publish("booking_confirmed", booking_id=..., ...)` calls every registered domain's hook named
`on_booking_confirmed` with the keyword data. Publishers call it *after* their commit, so a
subscriber sees committed rows and its own failure cannot undo the publisher's work: a subscriber
that raises is logged and the others still run (the request that caused the event has succeeded).
This keeps the dependency one way: coocook, auth and meari know event names, not who listens.

Writes that must commit with the event or not at all (a booking's two notifications) are *staged*
instead: `stage(conn, name, **data)` runs every `stage_<name>` hook on the publisher's connection,
inside its write transaction, each in a savepoint (a hook that raises is logged and undone; the
publisher's writes stand, as with a failing subscriber). After the commit `Staged.publish()` calls
the `on_<name>` hooks and then what the stage hooks returned to run after the commit (e.g. email
jobs). One commit instead of two, and no notification lost to a crash between two commits
(`scripts.bench --only-bookings`, docs/performance.md "Booking writes, one transaction": PostgreSQL
318 -> 437 and 270 -> 302 bookings/s; SQLite no change beyond its noise, median 387 -> 388).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
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


@dataclass
class Staged:
    """An event whose stage hooks have written in the publisher's transaction; `publish()` after the commit."""

    name: str
    data: dict[str, Any]
    after_commit: list[Callable[[], Any]] = field(default_factory=list)

    def publish(self) -> int:
        """The `on_<name>` subscribers, then the stage hooks' follow-ups; returns how many subscribers ran cleanly."""
        delivered = publish(self.name, **self.data)
        for followup in self.after_commit:
            try:
                followup()
            except Exception:  # as a subscriber: logged, the commit stands
                log.exception("event %s: follow-up %s failed", self.name, getattr(followup, "__qualname__", followup))
        return delivered


def stage(conn: Any, name: str, **data: Any) -> Staged:
    """Run the `stage_<name>` hooks on `conn`, inside the caller's open write transaction.

    Call it last in the transaction, and `publish()` the result after the commit. A hook gets the
    connection and the event's data and may return a callable to run after the commit.
    """
    staged = Staged(name, data)
    for hook in hooks(current_app, f"stage_{name}"):
        try:
            with conn.begin_nested():  # SAVEPOINT: a failing hook is undone, the publisher's rows stay
                followup = hook(conn, **data)
        except Exception:
            log.exception("event %s: stage hook %s failed", name, getattr(hook, "__qualname__", hook))
            continue
        if followup is not None:
            staged.after_commit.append(followup)
    return staged
