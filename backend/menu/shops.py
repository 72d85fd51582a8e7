"""Shops and their scans: a shop account submits menu names, an admin approves or rejects them.

- Only the owner sees or submits for a shop: someone else's shop is a 404, like one that does not exist.
- A submission is matched with identify's known stages (exact, modifier; never the paid AI) and
  enters the queue as `pending`; only `pending` moves, once, to `approved` or `rejected` (a
  conditional UPDATE, so two admins racing get one 200 and one 409).
- Approving links a canonical dish (the one given, else the one the submission matched) or creates
  one from the scan's normalised name (the fields given, else a stored AI answer for the name).
  A created dish bumps the catalog generation: every worker's identify cache sees it at once.
- Linking a scan that no stage matched (`canonical_menu_id` given, match `none`: a misspelling)
  records its normalised name as an alias of the dish (menu_aliases), so the next identify of the
  same spelling is an exact match (`reason: "alias"`) instead of an AI call; it bumps the catalog
  generation too. A name that already is an alias keeps its first dish (the first link stands).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from backend.caching import invalidate
from backend.common.actor import Actor
from backend.common.models import utcnow
from backend.common.pagination import cursor_id, decode_cursor, encode_cursor, envelope
from backend.database import read_connection, write_transaction
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.extensions import db
from backend.menu import catalog, counters
from backend.menu.identify import known
from backend.menu.models import (
    LANGS,
    CanonicalMenu,
    MatchType,
    MenuAlias,
    MenuDiscovery,
    MenuSource,
    ScanLog,
    ScanSource,
    ScanStatus,
    Shop,
)
from backend.menu.names import MAX_KEY, display_name, name_key

STATS = "menu:stats"
SHOP_COLUMNS = (Shop.id, Shop.name, Shop.address, Shop.created_at)
SCAN_COLUMNS = (ScanLog.id, ScanLog.menu_name, ScanLog.shop_id, ScanLog.status, ScanLog.match_type,
                ScanLog.canonical_menu_id, ScanLog.submitted_by, ScanLog.reviewed_by, ScanLog.reviewed_at,
                ScanLog.review_note, ScanLog.created_at)


def _shop(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "address": row.address, "created_at": row.created_at}


def _scan(row: Any) -> dict[str, Any]:
    out = {c.key: getattr(row, c.key) for c in SCAN_COLUMNS}
    out["shop_name"] = getattr(row, "shop_name", None)
    return out


def create_shop(actor: Actor, name: str, address: str) -> dict[str, Any]:
    """A new shop owned by `actor` (a shop account)."""
    with write_transaction(db.session) as tx:
        row = tx.execute(insert(Shop).values(owner_id=actor.id, name=name, address=address, created_at=utcnow())
                         .returning(*SHOP_COLUMNS)).one()
    return _shop(row)


def list_shops(actor: Actor, per_page: int, cursor: str | None) -> dict[str, Any]:
    """The actor's shops, newest first (two statements: the page and the total)."""
    query = select(*SHOP_COLUMNS).where(Shop.owner_id == actor.id)
    if cursor:
        (before,) = decode_cursor(cursor, "shops", [cursor_id])
        query = query.where(Shop.id < before)
    rows = db.session.execute(query.order_by(Shop.id.desc()).limit(per_page + 1)).all()
    total = db.session.execute(select(func.count()).select_from(Shop).where(Shop.owner_id == actor.id)).scalar_one()
    next_cursor = encode_cursor("shops", [rows[per_page - 1].id]) if len(rows) > per_page else None
    return envelope([_shop(r) for r in rows[:per_page]], None, per_page, total, next_cursor)


def submit_scan(actor: Actor, shop_id: int, menu_name: str) -> dict[str, Any]:
    """Queue a scanned name for review; 404 for a shop the actor does not own."""
    shown, key = display_name(menu_name), name_key(menu_name)
    if not key or len(key) > MAX_KEY:
        raise ValidationFailed("request body is invalid", {"location": "body", "fields": {
            "menu_name": "is empty once normalised" if not key else f"is longer than {MAX_KEY} characters"}})
    owned = db.session.execute(select(Shop.id).where(Shop.id == shop_id, Shop.owner_id == actor.id)).first()
    if owned is None:
        raise NotFound("shop not found", code="shop_not_found")
    match = known(key, catalog.catalog_generation())
    match_type = match["match"] if match is not None and match["match"] != MatchType.AI else MatchType.NONE.value
    dish_id = None
    if match is not None:
        dish_id = (match["dish"] or {}).get("id") or (match["base"] or {}).get("id")
    with write_transaction(db.session) as tx:
        row = tx.execute(insert(ScanLog).values(
            menu_name=shown, source=ScanSource.SHOP.value, match_type=match_type, status=ScanStatus.PENDING.value,
            shop_id=shop_id, canonical_menu_id=dish_id, submitted_by=actor.id, created_at=utcnow())
            .returning(*SCAN_COLUMNS)).one()
        counters.add(tx, counters.SCAN_LOGS, 1)
    return _scan(row)


def list_scans(status: str, per_page: int, cursor: str | None) -> dict[str, Any]:
    """The queue in one status, newest first, with shop names (two statements, the partial index)."""
    query = (select(*SCAN_COLUMNS, Shop.name.label("shop_name")).outerjoin(Shop, Shop.id == ScanLog.shop_id)
             .where(ScanLog.status == status))
    if cursor:
        (before,) = decode_cursor(cursor, f"scans:{status}", [cursor_id])
        query = query.where(ScanLog.id < before)
    with read_connection(db.engine) as conn:
        rows = conn.execute(query.order_by(ScanLog.id.desc()).limit(per_page + 1)).all()
        total = conn.execute(select(func.count()).select_from(ScanLog).where(ScanLog.status == status)).scalar_one()
    next_cursor = encode_cursor(f"scans:{status}", [rows[per_page - 1].id]) if len(rows) > per_page else None
    return envelope([_scan(r) for r in rows[:per_page]], None, per_page, total, next_cursor)


def _queued(tx: Any, scan_id: int) -> Any:
    row = tx.execute(select(*SCAN_COLUMNS).where(ScanLog.id == scan_id, ScanLog.source == ScanSource.SHOP)).first()
    if row is None:
        raise NotFound("scan not found", code="scan_not_found")
    if row.status != ScanStatus.PENDING:
        raise Conflict(f"scan is already {row.status}", {"status": row.status}, code="scan_already_reviewed")
    return row


def _review(tx: Any, scan_id: int, status: ScanStatus, reviewer: Actor, note: str | None, **values: Any) -> Any:
    """The conditional UPDATE: only a pending scan moves (a racing review gets 409)."""
    row = tx.execute(update(ScanLog).where(ScanLog.id == scan_id, ScanLog.status == ScanStatus.PENDING)
                     .values(status=status.value, reviewed_by=reviewer.id, reviewed_at=utcnow(), review_note=note,
                             **values).returning(*SCAN_COLUMNS)).first()
    if row is None:
        raise Conflict("scan was reviewed meanwhile", code="scan_already_reviewed")
    return row


def reject(reviewer: Actor, scan_id: int, note: str | None) -> dict[str, Any]:
    """Reject a pending scan."""
    with write_transaction(db.session) as tx:
        _queued(tx, scan_id)
        row = _review(tx, scan_id, ScanStatus.REJECTED, reviewer, note)
    invalidate(STATS)
    return _scan(row)


def approve(reviewer: Actor, scan_id: int, canonical_menu_id: int | None, create: dict[str, Any] | None,
            note: str | None) -> dict[str, Any]:
    """Approve a pending scan, linking or creating its canonical dish (see the module doc)."""
    created = False
    try:
        with write_transaction(db.session) as tx:
            scan = _queued(tx, scan_id)
            key = name_key(scan.menu_name)
            if canonical_menu_id is not None:
                if tx.execute(select(CanonicalMenu.id).where(CanonicalMenu.id == canonical_menu_id)).first() is None:
                    raise ValidationFailed("canonical menu not found", {"location": "body", "fields": {
                        "canonical_menu_id": "no such canonical menu"}})
                dish_id = canonical_menu_id
            elif create is None and scan.canonical_menu_id is not None:
                dish_id = scan.canonical_menu_id
            else:
                dish_id, created = _create_dish(tx, key, create), True
            # Only a spelling no stage understood becomes an alias: a modifier match (치즈떡볶이 on
            # 떡볶이) is already understood, and aliasing it would drop its composition.
            aliased = (canonical_menu_id is not None and scan.match_type == MatchType.NONE
                       and _alias(tx, key, dish_id))
            row = _review(tx, scan_id, ScanStatus.APPROVED, reviewer, note, canonical_menu_id=dish_id)
    except IntegrityError:
        raise Conflict("a canonical menu with this Korean name exists: approve with its canonical_menu_id",
                       code="menu_exists") from None
    invalidate(STATS, *([catalog.CATALOG] if created or aliased else []))
    return _scan(row)


def _alias(tx: Any, key: str, dish_id: int) -> bool:
    """Record `key` as another spelling of dish `dish_id` unless it is a dish's name or an alias already.

    True when a row was added (identify answers change: the caller bumps the catalog generation).
    """
    if tx.execute(select(CanonicalMenu.id).where(CanonicalMenu.name_ko == key)).first() is not None:
        return False
    dialect_insert = pg_insert if tx.get_bind().dialect.name == "postgresql" else sqlite_insert
    # Two admins linking the same spelling at once (PostgreSQL): the first row stands, no 409.
    added = tx.execute(dialect_insert(MenuAlias).values(name_key=key, canonical_menu_id=dish_id, created_at=utcnow())
                       .on_conflict_do_nothing(index_elements=["name_key"]))
    return added.rowcount == 1


def _create_dish(tx: Any, key: str, fields: dict[str, Any] | None) -> int:
    """A canonical dish named `key` from `fields`, else from a stored AI answer; 422 when there is neither."""
    existing = tx.execute(select(CanonicalMenu.id).where(CanonicalMenu.name_ko == key)).first()
    if existing is not None:
        raise Conflict("a canonical menu with this Korean name exists: approve with its canonical_menu_id",
                       {"canonical_menu_id": existing.id}, code="menu_exists")
    if fields is None:
        stored = tx.execute(select(MenuDiscovery.answer).where(MenuDiscovery.name_key == key,
                                                               MenuDiscovery.found.is_(True))).first()
        if stored is None:
            raise ValidationFailed("nothing to approve with: give canonical_menu_id or create", {
                "location": "body", "fields": {"create": "required: the scan matched no dish and no AI answer"}})
        fields = stored.answer
    values: dict[str, Any] = {
        "name_ko": key, "romanization": fields.get("romanization") or "", "category": fields.get("category") or "other",
        "spice_level": fields.get("spice_level") or 0, "allergens": list(fields.get("allergens") or []),
        "source": MenuSource.SHOP.value, "created_at": utcnow()}
    for lang in LANGS:
        for kind in ("names", "short", "long"):
            column = f"{'name' if kind == 'names' else kind}_{lang}"
            values[column] = (fields.get(kind) or {}).get(lang)
    return tx.execute(insert(CanonicalMenu).values(**values).returning(CanonicalMenu.id)).scalar_one()
