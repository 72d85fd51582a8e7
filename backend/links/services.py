"""Link analyzer rules: answer from the cache, else share or start one analysis job per URL.

A URL is normalised (`backend.integrations.urlnorm`) and vetted (`safefetch.vet`: scheme, port,
every resolved address) before anything is queued, so a hostile URL is a 422 naming its reason
and costs no job. Concurrent requests for one URL share its in-flight job: the link row is locked
(`FOR UPDATE`; SQLite's IMMEDIATE write turn) while the job is chosen, and the requesters other
than its owner are recorded so they may read its status.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

from sqlalchemy import delete, select

from backend.common.actor import Actor
from backend.common.models import utcnow
from backend.database import write_transaction
from backend.errors import APIError, NotFound
from backend.extensions import db
from backend.integrations.safefetch import vet
from backend.integrations.safefetch.fetch import allowed_ports, test_allowance
from backend.integrations.urlnorm import normalise_url, url_hash
from backend.jobs import services as jobs
from backend.jobs.models import FINAL, Job, JobStatus, Priority
from backend.links import lane, pipeline, settings, stats
from backend.links.ai import _upsert
from backend.links.extract import detect_platform
from backend.links.models import AIStatus, LinkAnalysis, LinkRequest

KIND = "links.analyze"
DONE, ACCEPTED, ELSEWHERE = "done", "accepted", "elsewhere"  # how analyze() answered
CLAIM_GRACE = dt.timedelta(seconds=30)  # a claimed job id whose row is not there yet is being created
FETCH_FAILURES = {"bad_content_encoding", "bad_redirect", "connection_failed", "dns_error", "http_error",
                  "tls_error", "too_large", "unsupported_content_encoding", "unsupported_content_type"}


class LinkFailed(APIError):
    """The analysis job failed (the page could not be fetched, or it redirected somewhere refused)."""

    status = 502

    def __init__(self, message: str, details: dict[str, Any] | None = None, code: str | None = None,
                 status: int | None = None):
        """`status` overrides 502 (422 when a redirect led somewhere refused, 504 for a timeout)."""
        super().__init__(message, details, code)
        if status is not None:
            self.status = status


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def public(row: LinkAnalysis, cached: bool) -> dict[str, Any]:
    """A link analysis as clients see it (JSON-able as it is: it is also a job's result)."""
    return {"url_hash": row.url_hash, "url": row.url, "platform": row.platform, "metadata": row.meta,
            "media": row.media or [], "ai": row.ai_status or AIStatus.UNAVAILABLE.value,
            "ai_analysis": row.ai_analysis, "ai_model": row.ai_model, "ai_error": row.ai_error,
            "fetched_at": _iso(row.fetched_at), "expires_at": _iso(row.expires_at),
            "ai_expires_at": _iso(row.ai_expires_at), "cached": cached}


def _target(url: str) -> tuple[str, str, str]:
    """(normalised url, url_hash, platform); FetchRefused (422) for a URL that may not be fetched."""
    normalised = normalise_url(url)
    return normalised, url_hash(normalised), detect_platform(normalised).value


def _hit(h: str) -> dict[str, Any] | None:
    row = db.session.get(LinkAnalysis, h)
    if not pipeline.fresh(row, utcnow()):
        return None
    stats.count(stats.HITS)
    if row.ai_status == AIStatus.DONE:  # one call per medium is what a re-analysis would have cost
        stats.count(stats.SAVED, max(1, len(row.media or [])))
    return public(row, cached=True)


def _vet(normalised: str) -> None:
    vet(normalised, allowed_ports=allowed_ports(),
        loopback_ports=test_allowance(settings.loopback_allowed()))


def _claim(actor: Actor, h: str, url: str, platform: str) -> tuple[str, bool]:
    """(job id, started): the in-flight job of this URL (joined), or a new id claimed for it."""
    for _ in range(40):
        now = utcnow()
        with write_transaction(db.session) as tx:
            tx.execute(_upsert(LinkAnalysis.__table__, [{"url_hash": h, "url": url, "platform": platform,
                                                         "created_at": now}], ["url_hash"]))
            row = tx.execute(select(LinkAnalysis).where(LinkAnalysis.url_hash == h).with_for_update()
                             .execution_options(populate_existing=True)).scalar_one()
            job = tx.get(Job, row.job_id, populate_existing=True) if row.job_id else None
            if job is not None and job.status not in FINAL:
                if job.owner_id != actor.id:
                    tx.execute(_upsert(LinkRequest.__table__, [{"job_id": job.id, "user_id": actor.id}],
                                       ["job_id", "user_id"]))
                return job.id, False
            being_created = row.job_id and job is None and row.job_claimed_at and now - row.job_claimed_at < CLAIM_GRACE
            if not being_created:
                row.job_id, row.job_claimed_at = str(uuid.uuid4()), now
                return row.job_id, True
        time.sleep(0.05)  # its owner is inserting the job row right now
    raise LinkFailed("the analysis of this link could not be started; try again", code="link_busy")


def _start(actor: Actor, url: str, priority: Priority) -> dict[str, Any] | str:
    """The cached analysis, or the id of the (new or shared) job computing it."""
    normalised, h, platform = _target(url)
    found = _hit(h)
    if found is not None:
        return found
    _vet(normalised)
    stats.count(stats.MISSES)  # a refused URL was never a cache lookup
    job_id, started = _claim(actor, h, normalised, platform)
    if started:
        jobs.enqueue(KIND, {"url_hash": h, "url": normalised, "platform": platform}, actor.id,
                     priority=priority, job_id=job_id)
    return job_id


def wait_for(job_id: str, seconds: float) -> Any:
    """Poll the job row (status only: one indexed read) until it is final or `seconds` pass."""
    ends, pause = time.monotonic() + seconds, 0.02
    while True:
        db.session.commit()  # a fresh snapshot each time (SQLite keeps a read transaction's view)
        status = db.session.execute(select(Job.status).where(Job.id == job_id)).scalar_one_or_none()
        left = ends - time.monotonic()
        if status in FINAL or left <= 0:
            return status
        time.sleep(min(pause, left))
        pause = min(pause * 1.5, 0.25)


def outcome(job_id: str) -> dict[str, Any]:
    """The finished job's analysis, or its failure raised as a LinkFailed naming the reason."""
    job = db.session.get(Job, job_id, populate_existing=True)
    if job.status == JobStatus.SUCCEEDED:
        return job.result
    code = job.error_code or "analysis_failed"
    status = (504 if code == "fetch_timeout" else 502) if code in FETCH_FAILURES | {"fetch_timeout"} else 422
    if job.status == JobStatus.CANCELLED or code == "internal_error":
        status = 502
    raise LinkFailed(job.error_message or "the analysis failed", {"reason": code}, code=code, status=status)


def analyze(actor: Actor, url: str) -> tuple[dict[str, Any], str]:
    """(body, how): the analysis, or the job and where to wait for it.

    `done`: from cache, finished at once, or (lane `inline`) within LINKS_SYNC_WAIT; `elsewhere`:
    the job with the event server's `result_url` that waits for it; `accepted`: the job to follow
    (lane `inline`, past its wait). See backend/links/lane.py.
    """
    found = _start(actor, url, Priority.HIGH)
    if isinstance(found, dict):
        return found, DONE
    inline = lane.lane() == "inline"
    if wait_for(found, settings.number("LINKS_SYNC_WAIT") if inline else 0) in FINAL:
        return outcome(found), DONE
    job = jobs.public(db.session.get(Job, found, populate_existing=True))
    if inline:
        return job, ACCEPTED
    return {**job, "result_url": lane.result_url(found, actor.id)}, ELSEWHERE


def analyze_async(actor: Actor, url: str, priority: Priority) -> tuple[dict[str, Any], str]:
    """(body, how): the cached analysis (`done`), else the (new or shared) job computing it (`accepted`), at once."""
    found = _start(actor, url, priority)
    if isinstance(found, dict):
        return found, DONE
    return jobs.public(db.session.get(Job, found, populate_existing=True)), ACCEPTED


def job_status(actor: Actor, job_id: str) -> dict[str, Any]:
    """An analysis job for its owner, a requester who shared it, or an admin (two indexed reads at most)."""
    job = db.session.get(Job, job_id)
    if job is None or job.kind != KIND:
        raise NotFound("job not found")
    if job.owner_id != actor.id and not actor.is_admin and db.session.get(LinkRequest, (job.id, actor.id)) is None:
        raise NotFound("job not found")
    return jobs.public(job)


def get_link(h: str) -> dict[str, Any]:
    """The stored analysis of a url_hash (expired or not: `expires_at` says)."""
    row = db.session.get(LinkAnalysis, h)
    if row is None or row.meta is None:
        raise NotFound("no analysis of this link")
    return public(row, cached=True)


def forget(h: str) -> None:
    """Drop a link from the cache (admin); its analysed media and cost records stay."""
    with write_transaction(db.session) as tx:
        gone = tx.execute(delete(LinkAnalysis).where(LinkAnalysis.url_hash == h)).rowcount
    if not gone:
        raise NotFound("no analysis of this link")
