"""The Huey instance an app uses, chosen by configuration; the queue carries job ids only.

- `JOBS_QUEUE_URL` unset: `SqliteHuey` in `instance/jobs-queue.db` (no server needed; the web
  process and the worker share the file).
- `sqlite:///path`: the same, elsewhere. `redis://...`: `PriorityRedisHuey` (Redis 5+), for
  several hosts. (Huey's PostgreSQL storage needs psycopg 3, which this project does not ship.)
- `JOBS_IMMEDIATE=true` (tests): tasks run synchronously inside `enqueue`.
Every variant honours priorities: higher numbers are taken first.
"""

from __future__ import annotations

from typing import Any

from huey import MemoryHuey, PriorityRedisHuey, SqliteHuey
from huey.api import Huey

from backend.config import INSTANCE_DIR

QUEUE_NAME = "softfactory-jobs"


def make_huey(config: dict[str, Any]) -> Huey:
    """A Huey for `config` (see the module docstring)."""
    if config.get("JOBS_IMMEDIATE"):
        return MemoryHuey(QUEUE_NAME, immediate=True, results=False)
    url = (config.get("JOBS_QUEUE_URL") or "").strip()
    if not url:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=str(INSTANCE_DIR / "jobs-queue.db"), results=False, timeout=10)
    if url.startswith("sqlite:///"):
        return SqliteHuey(QUEUE_NAME, filename=url.removeprefix("sqlite:///"), results=False, timeout=10)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return PriorityRedisHuey(QUEUE_NAME, url=url, results=False)
    raise RuntimeError(f"JOBS_QUEUE_URL must be sqlite:///<path> or redis://..., got {url.split('://')[0]}://...")
