"""One analysis, as the job runs it: metadata (fetch + extract + media), then the AI part.

Each part is redone only when stale: fresh metadata is not fetched again, a fresh AI analysis is
kept through a metadata refresh, and media already analysed (by content hash) are not sent again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from backend.common.models import utcnow
from backend.database import write_transaction
from backend.errors import APIError
from backend.extensions import db
from backend.integrations.errors import ProviderError, ProviderNotConfigured
from backend.integrations.gemini import gemini_configured
from backend.integrations.safefetch import PAGE_BYTES, fetch
from backend.links import ai, media, settings
from backend.links.extract import extract, scrub
from backend.links.models import AIStatus, LinkAnalysis

Progress = Callable[[int, str], Any]
log = logging.getLogger(__name__)
OEMBED_BYTES = 64 * 1024
OEMBED_FIELDS = ("type", "title", "author_name", "author_url", "provider_name", "thumbnail_url", "thumbnail_width",
                 "thumbnail_height", "width", "height")


def ai_fresh(row: LinkAnalysis, now: dt.datetime) -> bool:
    """Whether the stored AI part may be served: done and unexpired, or unavailable and still no key."""
    if row.ai_status == AIStatus.DONE:
        return row.ai_expires_at is not None and row.ai_expires_at > now
    return row.ai_status == AIStatus.UNAVAILABLE and not gemini_configured()


def fresh(row: LinkAnalysis | None, now: dt.datetime) -> bool:
    """A cache hit: metadata fetched and unexpired, and the AI part servable."""
    return bool(row is not None and row.meta is not None and row.expires_at and row.expires_at > now
                and ai_fresh(row, now))


def _oembed(url: str, platform: str) -> dict[str, Any] | None:
    """The platform's public oEmbed answer, when LINKS_OEMBED is on and the platform has one (else None).

    Optional by design: a failure here never fails the link (the page's own metadata is enough).
    """
    endpoint = settings.oembed_endpoint(platform)
    if endpoint is None:
        return None
    try:
        found = fetch(f"{endpoint}?{urlencode({'url': url, 'format': 'json'})}", max_bytes=OEMBED_BYTES,
                      deadline=settings.number("LINKS_PAGE_DEADLINE"), allowed_types=("application/json",),
                      allow_loopback_for_tests=settings.loopback_allowed())
        data = json.loads(found.body)
    except (APIError, ValueError) as exc:  # oEmbed is an extra: the analysis goes on without it
        log.warning("links: oEmbed for %s failed (%s: %s); analysing without it", platform, type(exc).__name__,
                    str(exc)[:200])
        return None
    if not isinstance(data, dict):
        return None
    return {k: data[k] for k in OEMBED_FIELDS if isinstance(data.get(k), str | int | float)}


def _metadata(url: str, platform: str) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, bytes]]:
    page = fetch(url, max_bytes=PAGE_BYTES, deadline=settings.number("LINKS_PAGE_DEADLINE"),
                 allow_loopback_for_tests=settings.loopback_allowed())
    limit = settings.number("LINKS_MEDIA_MAX", int)
    meta = extract(page.body, page.final_url, limit)
    meta["final_url"] = page.final_url
    oembed = _oembed(url, platform)
    if oembed is not None:
        meta["oembed"] = oembed
        meta["title"] = meta["title"] or oembed.get("title")
        meta["author"] = meta["author"] or oembed.get("author_name")
        thumbnail = oembed.get("thumbnail_url")
        if isinstance(thumbnail, str) and thumbnail.startswith(("http://", "https://")) and \
                thumbnail not in meta["images"]:
            meta["images"] = [*meta["images"], thumbnail][:limit]
    meta = scrub(meta)  # page-controlled text: no NUL may reach PostgreSQL
    found = media.download_all((meta["images"] + meta["videos"])[:limit], platform)
    return meta, [d.describe() for d in found], {d.content_hash: d.data for d in found}


def _ai(url_hash: str, platform: str, meta: dict, items: list[dict], data: dict[str, bytes]) -> dict[str, Any]:
    """The AI columns after running (or failing, or skipping) the model."""
    now = utcnow()
    if not gemini_configured():
        return {"ai_status": AIStatus.UNAVAILABLE.value, "ai_analysis": None, "ai_model": None, "ai_error": None,
                "ai_expires_at": None}
    known = ai.known_media([m["content_hash"] for m in items])
    lacking = [m for m in items if m["content_hash"] not in known and m["content_hash"] not in data]
    if lacking:  # metadata was fresh, so its media bytes were not downloaded in this run
        again = media.download_all([m["url"] for m in lacking], platform)
        data = {**data, **{d.content_hash: d.data for d in again}}
    try:
        analysis, model = ai.run(url_hash, meta, items, data, known)
    except ProviderNotConfigured:
        return {"ai_status": AIStatus.UNAVAILABLE.value, "ai_analysis": None, "ai_model": None, "ai_error": None,
                "ai_expires_at": None}
    except ProviderError as exc:  # the metadata is still worth returning; the AI is retried next time
        return {"ai_status": AIStatus.FAILED.value, "ai_analysis": None, "ai_model": None, "ai_error": exc.code[:64],
                "ai_expires_at": None}
    return {"ai_status": AIStatus.DONE.value, "ai_analysis": analysis, "ai_model": (model or "")[:64] or None,
            "ai_error": None, "ai_expires_at": now + dt.timedelta(seconds=settings.number("LINKS_AI_TTL_SECONDS"))}


def run(url_hash: str, url: str, platform: str, progress: Progress | None = None) -> LinkAnalysis:
    """Bring the link's row up to date (fetching and calling the model only for stale parts)."""
    report = progress or (lambda percent, message: None)
    now = utcnow()
    row = db.session.get(LinkAnalysis, url_hash, populate_existing=True)
    changes: dict[str, Any] = {}
    data: dict[str, bytes] = {}
    if row is not None and row.meta is not None and row.expires_at and row.expires_at > now:
        meta, items = row.meta, row.media or []
    else:
        report(10, "fetching the page")
        meta, items, data = _metadata(url, platform)
        changes.update(meta=meta, media=items, fetched_at=now,
                       expires_at=now + dt.timedelta(seconds=settings.ttl(platform)))
    if row is None or not ai_fresh(row, now):
        report(60, "analysing the media")
        changes.update(_ai(url_hash, platform, meta, items, data))
    db.session.commit()  # end the read snapshot before the write turn
    with write_transaction(db.session) as tx:
        row = tx.get(LinkAnalysis, url_hash)
        if row is None:
            row = LinkAnalysis(url_hash=url_hash, url=url, platform=platform)
            tx.add(row)
        for key, value in changes.items():
            setattr(row, key, value)
    return row
