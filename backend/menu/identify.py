"""Identify a menu name: cache, exact match, modifier decomposition, remembered AI answer, AI discovery.

Stages, cheapest first, each answering `match` = exact | modifier | ai | none:
1. the result cache (per normalised name, under the catalog generation);
2. `canonical_menus.name_ko` = the key, or a reviewed alias of it (`menu_aliases`, recorded by
   approving a shop scan with a link; `reason: "alias"`), in one statement;
3. modifiers + a known base dish (one more statement), composed names and explanations;
4. an AI answer already stored in `menu_discoveries` (one more statement);
5. without an LLM configured: `none` with reason `ai_unavailable` (never a 500);
6. the LLM, single-flight per name across workers and hosts (backend/menu/flight.py), its answer
   validated, stored, cached. A provider failure is raised as its 502/503/504 and never stored.
   While another request holds the name: `none` with reason `ai_pending` (the route answers 202).
Every call is logged to scan_logs through the batched buffer (backend/menu/scanlog.py).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend.database import read_connection, write_transaction
from backend.errors import ValidationFailed
from backend.extensions import db
from backend.menu import ai, catalog
from backend.menu.flight import PENDING, single_flight
from backend.menu.models import MatchType, MenuDiscovery
from backend.menu.names import MAX_KEY, display_name, name_key
from backend.menu.results import results
from backend.menu.scanlog import scan_log

REMEMBERED = select(MenuDiscovery.found, MenuDiscovery.answer).where(MenuDiscovery.name_key == bindparam("key"))


def _answer(match: MatchType, dish: dict | None = None, reason: str | None = None, base: dict | None = None,
            modifiers: list | None = None, confidence: float | None = None) -> dict[str, Any]:
    return {"match": match.value, "reason": reason, "dish": dish, "base": base, "modifiers": modifiers or [],
            "confidence": confidence}


def identify(raw_name: str) -> dict[str, Any]:
    """What `raw_name` is (see the module doc); raises ValidationFailed for a name that is empty or too long."""
    shown, key = display_name(raw_name), name_key(raw_name)
    if not key or len(key) > MAX_KEY:
        problem = "is empty once normalised" if not key else f"is longer than {MAX_KEY} characters once normalised"
        raise ValidationFailed("request body is invalid", {"location": "body", "fields": {"menu_name": problem}})
    generation = catalog.catalog_generation()
    cache = results()
    hit = cache.get(key, generation)
    result = {**hit, "cached": True} if hit is not None else {**_compute(key, generation), "cached": False}
    dish_id = (result["dish"] or {}).get("id") or (result["base"] or {}).get("id")
    scan_log().add(shown, result["match"], dish_id)
    return {"query": shown, "name_key": key, **result}


def _compute(key: str, generation: tuple[int, ...] | None) -> dict[str, Any]:
    cache = results()
    result = known(key, generation)
    if result is not None:
        cache.put(key, generation, result)
        return result
    if not ai.configured():
        return _answer(MatchType.NONE, reason="ai_unavailable")
    result = single_flight(key, lambda: _stored(key), lambda: _discover(key))
    if result is PENDING:  # another request is asking the model right now: come back in a second
        return _answer(MatchType.NONE, reason="ai_pending")
    cache.put(key, generation, result)
    return result


def known(key: str, generation: tuple[int, ...] | None) -> dict[str, Any] | None:
    """Stages 2-4 (exact, modifiers, a stored AI answer); None when none of them knows `key`.

    One pooled connection for all three, released before any provider call.
    """
    with read_connection(db.engine) as conn:
        found = catalog.exact(conn, key)
        if found is not None:
            dish, via_alias = found
            return _answer(MatchType.EXACT, dish, reason="alias" if via_alias else None)
        composed = catalog.by_modifiers(conn, key, generation, id(current_app._get_current_object()))
        if composed is not None:
            return _answer(MatchType.MODIFIER, composed["dish"], base=composed["base"],
                           modifiers=composed["modifiers"])
        return remembered(conn, key)


def _stored(key: str) -> dict[str, Any] | None:
    with read_connection(db.engine) as conn:
        return remembered(conn, key)


def remembered(conn: Any, key: str) -> dict[str, Any] | None:
    """The stored AI answer for `key` as an identify result, else None (one indexed statement)."""
    row = conn.execute(REMEMBERED, {"key": key}).first()
    if row is None:
        return None
    return _from_answer(key, row.found, row.answer)


def _from_answer(key: str, found: bool, answer: dict[str, Any]) -> dict[str, Any]:
    if not found:
        return _answer(MatchType.NONE, reason="not_a_dish", confidence=answer.get("confidence"))
    return _answer(MatchType.AI, ai.dish_of(key, answer), confidence=answer.get("confidence"))


def _discover(key: str) -> dict[str, Any]:
    """One provider call; the validated answer is stored (first writer wins) before it is used."""
    answer, model = ai.discover(key)
    payload = answer.model_dump(mode="json")
    with write_transaction(db.session) as tx:
        insert = pg_insert if tx.get_bind().dialect.name == "postgresql" else sqlite_insert
        tx.execute(insert(MenuDiscovery).values(name_key=key, found=answer.is_korean_dish, answer=payload,
                                                model=model).on_conflict_do_nothing(index_elements=["name_key"]))
    return _from_answer(key, answer.is_korean_dish, payload)
