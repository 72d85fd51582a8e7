"""The links domain's configuration: app config, else the environment, else the defaults below.

- `LINKS_TTL_SECONDS` (6 h) and `LINKS_TTL_<PLATFORM>` (e.g. LINKS_TTL_YOUTUBE): how long
  metadata stays fresh; never under `MIN_TTL` (1 h). `LINKS_AI_TTL_SECONDS` (7 days) for the AI part.
- `LINKS_SYNC_WAIT` (8 s): how long `POST /links/analyze` waits for its job before answering 202;
  well under gunicorn's 30 s timeout. `LINKS_WAIT_LANE` (`events`): where that wait happens, on
  the event server after a 303 (default) or `inline` in the API worker (backend/links/lane.py).
- `LINKS_AI_BATCH` (4): media per model call. `LINKS_MEDIA_MAX` (6): media taken per link.
- `LINKS_MEDIA_MAX_BYTES` (8 MB), `LINKS_PAGE_DEADLINE` (10 s), `LINKS_MEDIA_DEADLINE` (15 s).
- `LINKS_MEDIA_CONCURRENCY` (4) and `LINKS_MEDIA_RATE` (20/s): per platform, per process.
- `LINKS_OEMBED` (off): also ask the platform's public oEmbed endpoint (YouTube, TikTok);
  `LINKS_OEMBED_<PLATFORM>_URL` sets or replaces one (any platform, e.g. a blog host's).
- `LINKS_TEST_ALLOW_LOOPBACK`: lets tests reach loopback fakes; honoured only when TESTING.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from backend.integrations.settings import config_value

MIN_TTL = 3600
OEMBED = {"youtube": "https://www.youtube.com/oembed", "tiktok": "https://www.tiktok.com/oembed"}
DEFAULTS: dict[str, Any] = {
    "LINKS_TTL_SECONDS": 6 * 3600, "LINKS_AI_TTL_SECONDS": 7 * 86400, "LINKS_SYNC_WAIT": 8.0,
    "LINKS_AI_BATCH": 4, "LINKS_MEDIA_MAX": 6, "LINKS_MEDIA_MAX_BYTES": 8 * 1024 * 1024,
    "LINKS_PAGE_DEADLINE": 10.0, "LINKS_MEDIA_DEADLINE": 15.0, "LINKS_MEDIA_CONCURRENCY": 4,
    "LINKS_MEDIA_RATE": 20.0,
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


def flag(key: str) -> bool:
    """A boolean setting ("1", "true", "yes", "on" or True)."""
    raw = config_value(current_app.config, key)
    return raw is True or str(raw).strip().lower() in ("1", "true", "yes", "on")


def ttl(platform: str) -> int:
    """Seconds the metadata of a `platform` link stays fresh (at least MIN_TTL)."""
    key = f"LINKS_TTL_{platform.upper()}"
    seconds = number(key, int) if config_value(current_app.config, key) is not None else number(
        "LINKS_TTL_SECONDS", int)
    return max(MIN_TTL, seconds)


def loopback_allowed() -> bool:
    """The test-only loopback allowance (safefetch itself ignores it outside a TESTING app)."""
    return current_app.config.get("TESTING") is True and flag("LINKS_TEST_ALLOW_LOOPBACK")


def oembed_endpoint(platform: str) -> str | None:
    """The oEmbed endpoint of `platform` when LINKS_OEMBED is on (configured, else the public one)."""
    if not flag("LINKS_OEMBED"):
        return None
    return config_value(current_app.config, f"LINKS_OEMBED_{platform.upper()}_URL") or OEMBED.get(platform)
