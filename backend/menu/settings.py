"""The menu domain's configuration: app config, else the environment, else the defaults below.

- `MENU_CACHE_SIZE` (10,000) / `MENU_CACHE_TTL` (3,600 s): identify results kept per process
  (and in Redis with REDIS_URL, shared by every worker), keyed by the catalog generation.
- `MENU_AI_WAIT` (0 s): how long a request waits for another worker's AI call of the same name
  before answering 202 `ai_pending` (a waiting request holds a sync worker; at most 20 s, the AI
  provider's own deadline, under gunicorn's 30 s timeout).
- `MENU_AI_FAILURE_TTL` (5 s): a failed AI call is answered to its waiters for this long, so a
  failing provider is not called once per waiting request.
- `MENU_LOG_BATCH` (200) / `MENU_LOG_FLUSH_SECONDS` (2 s): identify calls are written to
  scan_logs in batches of this size, or at least this often.
- `MENU_TRANSLATE_CACHE_SIZE` (5,000) / `MENU_TRANSLATE_CACHE_TTL` (86,400 s): translations kept per process.
- `MENU_FLIGHT_DIR`: where the host-wide single-flight lock files live (default instance/menu-flight).
- `MENU_STATS_TTL` (300 s): the admin stats cache.
- `MENU_RECOGNIZE_DEADLINE` (25 s): what recognize may spend in the request (then 202 with a job);
  `MENU_UPLOAD_MAX_BYTES` (10 MB): the photo limit (the route's body limit is 10 MB + multipart room).
- `MENU_OCR=none` turns the embedded Tesseract off (CLOVA: `CLOVA_OCR_BASE_URL`, `CLOVA_OCR_API_KEY`).
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from backend.config import INSTANCE_DIR
from backend.integrations.settings import config_value

DEFAULTS: dict[str, Any] = {
    "MENU_CACHE_SIZE": 10_000, "MENU_CACHE_TTL": 3600.0, "MENU_AI_WAIT": 0.0, "MENU_AI_FAILURE_TTL": 5.0,
    "MENU_LOG_BATCH": 200, "MENU_LOG_FLUSH_SECONDS": 2.0, "MENU_TRANSLATE_CACHE_SIZE": 5000,
    "MENU_TRANSLATE_CACHE_TTL": 86_400.0, "MENU_STATS_TTL": 300, "MENU_RECOGNIZE_DEADLINE": 25.0,
    "MENU_UPLOAD_MAX_BYTES": 10 * 1024 * 1024,
}


def number(key: str, kind: type = float) -> Any:
    """A numeric setting (RuntimeError naming the key when it is not a number)."""
    raw = config_value(current_app.config, key)
    if raw is None:
        return kind(DEFAULTS[key])
    try:
        return kind(raw)
    except (TypeError, ValueError):
        raise RuntimeError(f"{key} must be a number, got {raw!r}") from None


def flight_dir() -> str:
    """Directory of the host-wide lock files (beside the cache generations file by default)."""
    return config_value(current_app.config, "MENU_FLIGHT_DIR") or str(INSTANCE_DIR / "menu-flight")
