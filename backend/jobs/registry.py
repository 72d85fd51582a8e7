"""What a domain declares about its background work: job handlers by kind, and periodic tasks.

A domain's `tasks.py` decorates its functions; the module is imported by the domain package, so
the web process (which enqueues) and the worker (which runs) both see the same declarations.
Declaring is only recording: nothing is queued, started or connected at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backend.jobs.models import Priority


@dataclass(frozen=True)
class Handler:
    """How to run one kind of job."""

    kind: str
    run: Callable[[Any, dict[str, Any]], Any]  # (JobContext, payload) -> JSON-able result
    max_attempts: int = 3
    priority: Priority = Priority.NORMAL


@dataclass(frozen=True)
class Periodic:
    """A task the consumer runs on a schedule (Huey crontab fields, minute granularity)."""

    name: str
    run: Callable[[], Any]  # called inside an app context
    minute: str = "*"
    hour: str = "*"
    day: str = "*"


HANDLERS: dict[str, Handler] = {}
PERIODIC: dict[str, Periodic] = {}


def job_handler(kind: str, *, max_attempts: int = 3, priority: Priority = Priority.NORMAL) -> Callable:
    """Declare `fn(ctx, payload)` as the handler of jobs of `kind`."""

    def decorator(fn: Callable) -> Callable:
        existing = HANDLERS.get(kind)
        if existing is not None and existing.run is not fn:
            raise ValueError(f"job kind {kind!r} already has a handler")
        HANDLERS[kind] = Handler(kind, fn, max_attempts, Priority(priority))
        return fn

    return decorator


def periodic(name: str, *, minute: str = "*", hour: str = "*", day: str = "*") -> Callable:
    """Declare `fn()` to run on a crontab schedule in the worker (e.g. minute="*/5")."""

    def decorator(fn: Callable) -> Callable:
        PERIODIC[name] = Periodic(name, fn, minute, hour, day)
        return fn

    return decorator
