"""Admin stats in one statement (CTEs), cached for MENU_STATS_TTL (5 minutes).

The statement: the queue's counts per status from the partial `(status, id)` index (`FILTER` on
PostgreSQL, `SUM(CASE ...)` on SQLite), the total number of scan logs (a maintained counter:
counting a million rows took ~200 ms on PostgreSQL and ~30 ms on SQLite), active shops (one probe of
`(shop_id, created_at)` per shop for a scan in the last 30 days), the canonical menu count and
each language's coverage, and the 10 newest scans by primary key; the aggregates are joined to the
latest rows, so one round trip answers everything. Measured at 1,000,000 scan logs: see
docs/performance.md "Menu".

Cached under the generation of `menu:stats` (bumped by reviews and the seed): in Redis when
REDIS_URL is set (shared by the workers), else per process. Redis failing is logged and the stats
are served from the database.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any

import orjson
from cachetools import TTLCache
from flask import current_app
from sqlalchemy import text

from backend.caching import response_cache
from backend.common.models import utcnow
from backend.database import read_connection
from backend.extensions import db
from backend.integrations.extension import Integrations
from backend.menu import settings
from backend.menu.models import LANGS
from backend.menu.shops import STATS

log = logging.getLogger(__name__)
ACTIVE_DAYS = 30
_LOCAL: TTLCache = TTLCache(maxsize=16, ttl=3600)
_LOCK = threading.Lock()


def _count(condition: str, postgres: bool) -> str:
    if postgres:
        return f"count(*) FILTER (WHERE {condition})"
    return f"COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)"


def statement(postgres: bool) -> str:
    """The stats SQL for the dialect (one statement)."""
    coverage = ",\n".join(
        f"    {_count(f'name_{lang} IS NOT NULL AND short_{lang} IS NOT NULL AND long_{lang} IS NOT NULL', postgres)}"
        f" AS covered_{lang}" for lang in LANGS)
    return f"""
WITH queue AS (
  SELECT {_count("status = 'pending'", postgres)} AS pending,
         {_count("status = 'approved'", postgres)} AS approved,
         {_count("status = 'rejected'", postgres)} AS rejected
  FROM scan_logs WHERE status IS NOT NULL
), logs AS (
  SELECT COALESCE((SELECT value FROM menu_counters WHERE name = 'scan_logs'), 0) AS total_scans
), active AS (
  SELECT count(*) AS active_shops FROM shops s
  WHERE EXISTS (SELECT 1 FROM scan_logs l WHERE l.shop_id = s.id AND l.created_at >= :since)
), menus AS (
  SELECT count(*) AS canonical_menus,
{coverage}
  FROM canonical_menus
), latest AS (
  SELECT id, menu_name, source, match_type, status, shop_id, created_at FROM scan_logs ORDER BY id DESC LIMIT 10
)
SELECT queue.*, logs.*, active.*, menus.*, latest.id AS scan_id, latest.menu_name, latest.source,
       latest.match_type, latest.status, latest.shop_id, latest.created_at
FROM queue CROSS JOIN logs CROSS JOIN active CROSS JOIN menus LEFT JOIN latest ON 1 = 1
ORDER BY latest.id DESC
"""


def compute(now: dt.datetime | None = None) -> dict[str, Any]:
    """The stats from the database (one statement)."""
    now = now or utcnow()
    with read_connection(db.engine) as conn:
        postgres = conn.dialect.name == "postgresql"
        rows = conn.execute(text(statement(postgres)), {"since": now - dt.timedelta(days=ACTIVE_DAYS)}).all()
    first = rows[0]
    total = first.canonical_menus
    return {
        "pending": int(first.pending), "approved": int(first.approved), "rejected": int(first.rejected),
        "total_scans": first.total_scans, "active_shops": first.active_shops, "canonical_menus": total,
        "translation_coverage": {lang: f"{int(getattr(first, f'covered_{lang}'))}/{total}" for lang in LANGS},
        "latest_scans": [{"id": r.scan_id, "menu_name": r.menu_name, "source": r.source, "match_type": r.match_type,
                          "status": r.status, "shop_id": r.shop_id, "created_at": _datetime(r.created_at)}
                         for r in rows if r.scan_id is not None],
        "generated_at": now,
    }


def _datetime(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def admin_stats() -> dict[str, Any]:
    """The cached stats (source "cache"), else fresh from the database (source "database")."""
    generation = response_cache().generations.get([STATS])
    key = f"{current_app.config.get('CACHE_KEY_PREFIX', 'sf:')}menu:stats:{generation}"
    redis = Integrations.state().redis
    if generation is None and redis is not None:
        log.warning("menu stats: Redis unavailable (generations unreadable); served from the database")
    if generation is not None:
        cached = _get(redis, key)
        if cached is not None:
            return {**cached, "source": "cache"}
    fresh = compute()
    if generation is not None:
        _put(redis, key, fresh)
    return {**fresh, "source": "database"}


def _get(redis: Any, key: str) -> dict[str, Any] | None:
    if redis is None:
        with _LOCK:
            entry = _LOCAL.get((id(current_app._get_current_object()), key))
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None
    try:
        raw = redis.get(key)
    except Exception as exc:
        log.warning("menu stats: Redis unavailable (%s); served from the database", exc)
        return None
    if not raw:
        return None
    value = orjson.loads(raw)
    value["generated_at"] = dt.datetime.fromisoformat(value["generated_at"])
    for scan in value["latest_scans"]:
        scan["created_at"] = dt.datetime.fromisoformat(scan["created_at"])
    return value


def _put(redis: Any, key: str, value: dict[str, Any]) -> None:
    ttl = settings.number("MENU_STATS_TTL", int)
    if redis is None:
        with _LOCK:
            if ttl > 0:  # bounded: 16 entries (apps x generations)
                _LOCAL[(id(current_app._get_current_object()), key)] = (time.monotonic() + ttl, value)
        return
    try:
        redis.set(key, orjson.dumps(value), ex=max(1, ttl))
    except Exception as exc:
        log.warning("menu stats: not cached in Redis: %s", exc)
