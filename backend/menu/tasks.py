"""The menu's background job: identify the items of a recognized photo that need the AI stage."""

from __future__ import annotations

from typing import Any

from backend.errors import APIError
from backend.jobs.registry import job_handler
from backend.menu.identify import identify
from backend.menu.recognize import KIND


@job_handler(KIND, max_attempts=2)
def identify_items(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """Identify each of `payload["names"]` (each at most one AI call, single-flight as in a request)."""
    items = []
    names = list(payload.get("names") or [])
    for n, name in enumerate(names, start=1):
        try:
            items.append({"text": name, "status": "done", "result": identify(name)})
        except APIError as exc:
            items.append({"text": name, "status": "failed", "result": None, "error": exc.code})
        ctx.progress(int(n * 100 / max(1, len(names))), f"{n}/{len(names)} items")
    return {"menu_items": items}
