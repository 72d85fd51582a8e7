"""Menu HTTP layer: parse -> call a service -> serialise."""

from __future__ import annotations

from backend.menu import models  # noqa: F401
