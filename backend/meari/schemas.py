"""Meari request/response schemas, and the shapes asked of the LLM (persona, cards)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field, field_validator

from backend.common.pagination import PageQuery
from backend.common.validation import BodySchema
from backend.meari.models import CardKind, SessionStatus

# A short BCP-47-ish tag: a 2-3 letter language, then up to two subtags (ko, en-US, zh-Hant-TW).
LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$"


class SessionIn(BodySchema):
    """What a user asks a session for."""

    concern: str = Field(min_length=1, max_length=2000, description="What is on the user's mind, in their words")
    language: str = Field("en", max_length=16, pattern=LANGUAGE_PATTERN, description="BCP-47-ish tag, e.g. en, ko")

    @field_validator("language")
    @classmethod
    def _canonical(cls, value: str) -> str:
        # "KO" and "ko" are one language: the composer and the cache see one spelling.
        head, *rest = value.split("-")
        return "-".join([head.lower(), *rest])


class Persona(BaseModel):
    """The companion persona a session speaks as (also the LLM's schema)."""

    name: str = Field(min_length=1, max_length=80)
    tone: str = Field(min_length=1, max_length=120)
    summary: str = Field(min_length=1, max_length=800)


class Card(BaseModel):
    """One titled short text (also the LLM's schema for a card)."""

    kind: CardKind
    title: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1, max_length=1200)


class CardSet(BaseModel):
    """The LLM's answer for the cards step: 3 to 6 cards."""

    cards: list[Card] = Field(min_length=3, max_length=6)


class SessionAccepted(BaseModel):
    """The 202 answer: where to follow the work."""

    session_id: int
    status: SessionStatus
    status_url: str
    stream_url: str
    job_id: str


class SessionStatusOut(BaseModel):
    """A session's progress, read from its job."""

    status: SessionStatus
    progress: int
    job_status: str | None
    error: dict[str, Any] | None


class SessionOut(BaseModel):
    """A session with its persona and cards (empty while processing)."""

    id: int
    status: SessionStatus
    concern: str
    language: str
    persona: Persona | None
    cards: list[Card]
    generator: str | None
    external: dict[str, Any] | None
    timings: dict[str, float] | None
    error: dict[str, Any] | None
    job_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class SessionSummary(BaseModel):
    """A session in my list (no cards)."""

    id: int
    status: SessionStatus
    concern: str
    language: str
    persona_name: str | None
    generator: str | None
    created_at: dt.datetime


class SessionListQuery(PageQuery):
    """Cursor pages of my sessions, newest first (`page` is ignored: cursors only)."""


class SessionPage(BaseModel):
    """The list envelope of sessions."""

    items: list[SessionSummary]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None
