"""Meari sessions (a persona and cards built for a user's concern) and their cards.

A session row is created `processing` in the request and filled by its background job
(`meari.session`, backend/meari/tasks.py), which also marks it `failed` when its failure is final.
A failure the handler never sees (a cancel, a worker that died on its last attempt) is read from
the job when answering: the job row is the truth about the work, the session about its result.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.models import created_at_column, one_of
from backend.extensions import db
from backend.jobs.models import JsonColumn


class SessionStatus(StrEnum):
    """Where a session is; `ready` and `failed` are final."""

    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class CardKind(StrEnum):
    """What a card asks of its reader."""

    REFLECTION = "reflection"
    ACTION = "action"
    QUESTION = "question"
    RESOURCE = "resource"


class MeariSession(db.Model):
    """One request for help: the concern as given, and what the job built for it."""

    __tablename__ = "meari_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    job_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("jobs.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=SessionStatus.PROCESSING.value)
    concern: Mapped[str] = mapped_column(Text, nullable=False)
    language: Mapped[str] = mapped_column(String(16), nullable=False)
    persona: Mapped[Any | None] = mapped_column(JsonColumn)
    generator: Mapped[str | None] = mapped_column(String(16))  # "llm" or "builtin"
    external: Mapped[Any | None] = mapped_column(JsonColumn)
    timings: Mapped[Any | None] = mapped_column(JsonColumn)  # {step: milliseconds}
    error_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint(one_of("status", SessionStatus), name="status_valid"),
        Index("ix_meari_sessions_user_created", "user_id", "created_at", "id"),  # my sessions, newest first
        Index("ix_meari_sessions_job", "job_id"),  # SET NULL on job purge looks rows up by job
    )


class MeariCard(db.Model):
    """One card of a session, in `position` order."""

    __tablename__ = "meari_cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("meari_sessions.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (
        CheckConstraint(one_of("kind", CardKind), name="kind_valid"),
        Index("uq_meari_cards_session_position", "session_id", "position", unique=True),
    )
