"""Seed data of Meari: one ready session for the demo user, built by the builtin composer (cheap)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from backend.common.actor import Role
from backend.extensions import db
from backend.meari.composer import compose_cards, compose_persona
from backend.meari.models import MeariCard, MeariSession, SessionStatus

DEMO_CONCERN = "Work has piled up and I cannot sleep well before deadlines."


def seed_meari(ctx: Any) -> tuple[str, ...]:
    """The demo user's first session, ready, so `make run` has something to show."""
    user_id = ctx.shared["demo"][Role.USER.value]
    persona = compose_persona(DEMO_CONCERN, "en")
    cards = compose_cards(DEMO_CONCERN, "en", persona, None)
    session_id = db.session.execute(insert(MeariSession).values(
        user_id=user_id, status=SessionStatus.READY.value, concern=DEMO_CONCERN, language="en",
        persona=persona.model_dump(mode="json"), generator="builtin",
        external={"status": "skipped", "reason": "seeded"}, timings={}, created_at=ctx.now, updated_at=ctx.now,
    ).returning(MeariSession.id)).scalar_one()
    db.session.execute(insert(MeariCard), [{"session_id": session_id, "position": i, "kind": c.kind.value,
                                            "title": c.title, "body": c.body} for i, c in enumerate(cards)])
    return (f"meari:{session_id}",)
