"""Request and response schemas of the links API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from backend.common.validation import BodySchema, QuerySchema
from backend.jobs.models import Priority
from backend.jobs.schemas import JobOut
from backend.links.models import AIStatus, Platform

URL_MAX = 2048


class AnalyzeIn(BodySchema):
    """A link to analyse."""

    url: str = Field(min_length=1, max_length=URL_MAX, description="an http(s) URL")


class AnalyzeAsyncIn(AnalyzeIn):
    """A link to analyse in the background, and how soon."""

    priority: Priority = Priority.NORMAL


class MediumOut(BaseModel):
    """One medium of the link (bytes kept only as their hash)."""

    url: str
    content_hash: str
    mime_type: str
    bytes: int


class LinkOut(BaseModel):
    """A link analysis: metadata, media, and the AI analysis or why there is none."""

    url_hash: str
    url: str
    platform: Platform
    metadata: dict[str, Any] | None
    media: list[MediumOut]
    ai: AIStatus
    ai_analysis: dict[str, Any] | None
    ai_model: str | None
    ai_error: str | None
    fetched_at: dt.datetime | None
    expires_at: dt.datetime | None
    ai_expires_at: dt.datetime | None
    cached: bool = Field(description="served from the cache (no fetch, no model call)")


class AnalyzeJobOut(JobOut):
    """The job computing the analysis (also in `Location`); follow `status_url`."""

    job_id: str


class CacheStatsOut(BaseModel):
    """Link cache counters, shared by every worker."""

    hits: int
    misses: int
    rate: float = Field(ge=0, le=1)
    size: int = Field(description="links whose metadata is still fresh")
    calls_saved: int = Field(description="model calls cache hits saved (one per medium)")


class CostsQuery(QuerySchema):
    """Which days the report covers."""

    days: int = Field(30, ge=1, le=366)


class CostRow(BaseModel):
    """Calls, media, tokens and price of a group."""

    calls: int
    media: int
    input_tokens: int
    output_tokens: int
    cost_usd: float


class DayCost(CostRow):
    """One day (UTC)."""

    day: str


class ModelCost(CostRow):
    """One model."""

    model: str


class UrlCost(CostRow):
    """One link (the costliest first)."""

    url_hash: str
    url: str | None


class CostsOut(BaseModel):
    """Model spend, and the calls caching, batching and dedupe saved."""

    days: int
    calls: int
    cost_usd: float
    per_day: list[DayCost]
    per_model: list[ModelCost]
    per_url: list[UrlCost]
    saved: dict[str, int]
    baseline_calls: int = Field(description="calls with one call per medium of every analysis, no cache")
    reduction: float
