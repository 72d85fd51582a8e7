"""Owners' side of campaigns: create, edit (fields and status), list my campaigns; expiry closes them.

Who may create: any signed-in account. Its creator owns a campaign; only the owner (or an admin)
may edit it or see its applications, and anyone else gets 404 for a draft as for a missing id.
Status moves draft -> open -> closed (draft -> closed also); a closed campaign stays closed, and
an open one cannot go back to draft (applicants already hold applications to it). `slots` may not
drop below the approvals already given (409), so the database CHECK never fires on an edit.

Every change of a campaign's membership in `open` adjusts campaign_counters in the same
transaction (`count_open`), and the public caches are invalidated after the commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend.assets.references import check_reference
from backend.auth.models import User
from backend.caching import invalidate
from backend.campaigns.models import Campaign, CampaignCounter, CampaignStatus
from backend.campaigns.services.listing import DETAIL_COLUMNS, detail_item
from backend.common.actor import Actor
from backend.common.models import utcnow
from backend.common.pagination import cursor_id, decode_cursor, encode_cursor, envelope
from backend.database import write_transaction
from backend.errors import Conflict, NotFound, ValidationFailed
from backend.extensions import db

DRAFT, OPEN, CLOSED = (s.value for s in CampaignStatus)
MOVES = {DRAFT: {OPEN, CLOSED}, OPEN: {CLOSED}, CLOSED: set()}
EXPIRE_BATCH = 500


def count_open(conn: Any, delta: int) -> None:
    """Add `delta` to the maintained open count, creating the row if it is missing (same transaction)."""
    if not delta:
        return
    dialect = conn.dialect.name
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = make(CampaignCounter).values(id=1, open_count=max(delta, 0))
    conn.execute(statement.on_conflict_do_update(
        index_elements=[CampaignCounter.id],
        set_={"open_count": CampaignCounter.__table__.c.open_count + delta}))


def _joined() -> Any:
    return select(*DETAIL_COLUMNS).join_from(Campaign, User, User.id == Campaign.owner_id)


def _owned(session: Any, actor: Actor, campaign_id: int, *, lock: bool = False) -> Any:
    """(owner_id, status, approved_count) of a campaign the actor may manage; 404 otherwise."""
    query = select(Campaign.owner_id, Campaign.status, Campaign.approved_count).where(Campaign.id == campaign_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).first()
    if row is None or (row.owner_id != actor.id and not actor.is_admin):
        raise NotFound("campaign not found", code="campaign_not_found")
    return row


def _future(deadline: dt.datetime) -> None:
    if deadline <= utcnow():
        raise ValidationFailed("request body is invalid", {"location": "body", "fields": {
            "deadline": "must be in the future"}})


def create_campaign(actor: Actor, fields: dict[str, Any]) -> dict:
    """A new campaign owned by `actor` (draft, or open at once); the deadline must be ahead."""
    _future(fields["deadline"])
    now = utcnow()
    with write_transaction(db.session) as session:
        fields["image_asset_id"] = check_reference(session, actor, fields.get("image_asset_id"), actor.id,
                                                   "image_asset_id")
        campaign_id = session.execute(insert(Campaign).values(
            owner_id=actor.id, approved_count=0, applications_count=0, created_at=now, updated_at=now,
            **fields).returning(Campaign.id)).scalar_one()
        count_open(session.connection(), 1 if fields["status"] == OPEN else 0)
        row = session.execute(_joined().where(Campaign.id == campaign_id)).one()
    if fields["status"] == OPEN:
        invalidate("campaigns")
    return detail_item(row)


def update_campaign(actor: Actor, campaign_id: int, changes: dict[str, Any]) -> dict:
    """Edit a campaign (its owner or an admin); moves its status when `status` is given."""
    with write_transaction(db.session) as session:
        row = _owned(session, actor, campaign_id, lock=True)
        new_status = changes.get("status")
        if new_status is not None and new_status != row.status and new_status not in MOVES[row.status]:
            raise Conflict(f"a {row.status} campaign cannot become {new_status}",
                           {"status": row.status, "requested": new_status}, code="illegal_transition")
        if "slots" in changes and changes["slots"] < row.approved_count:
            raise Conflict(f"{row.approved_count} applications are approved already: slots cannot go below that",
                           {"approved_count": row.approved_count, "slots": changes["slots"]},
                           code="slots_below_approved")
        if "deadline" in changes and (new_status or row.status) == OPEN:
            _future(changes["deadline"])
        if new_status == OPEN and "deadline" not in changes:
            deadline = session.execute(select(Campaign.deadline).where(Campaign.id == campaign_id)).scalar_one()
            _future(deadline)
        if "image_asset_id" in changes:  # an image of the campaign owner's account (an admin picks one of theirs)
            changes["image_asset_id"] = check_reference(session, actor, changes["image_asset_id"], row.owner_id,
                                                        "image_asset_id")
        if changes:
            values = {k: (str(v) if k == "status" else v) for k, v in changes.items()}
            # approved_count < slots stays true: the conditional WHERE repeats the check against the
            # row as it is now (an approval may have committed since the read on SQLite it cannot).
            done = session.execute(update(Campaign).where(
                Campaign.id == campaign_id, Campaign.approved_count <= changes.get("slots", Campaign.slots))
                .values(**values, updated_at=utcnow())).rowcount
            if not done:
                raise Conflict("approvals changed concurrently; retry", code="concurrent_update")
        was_open, is_open = row.status == OPEN, (new_status or row.status) == OPEN
        count_open(session.connection(), int(is_open) - int(was_open))
        result = session.execute(_joined().where(Campaign.id == campaign_id)).one()
    invalidate("campaigns", f"campaign:{campaign_id}")
    return detail_item(result)


def my_campaigns(actor: Actor, *, status: str | None = None, page: int = 1, per_page: int = 20,
                 cursor: str | None = None) -> dict:
    """The actor's own campaigns (drafts included), newest first; two statements (page, total)."""
    conditions = [Campaign.owner_id == actor.id]
    if status:
        conditions.append(Campaign.status == str(status))
    query = _joined().where(*conditions)
    page_number: int | None = page
    if cursor:
        (last_id,) = decode_cursor(cursor, "mine", (cursor_id,))
        query, page_number = query.where(Campaign.id < last_id), None
    else:
        query = query.offset((page - 1) * per_page)
    rows = db.session.execute(query.order_by(Campaign.id.desc()).limit(per_page + 1)).all()
    total = db.session.execute(select(func.count()).select_from(Campaign).where(*conditions)).scalar_one()
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        next_cursor = encode_cursor("mine", [rows[-1].id])
    return envelope([detail_item(r) for r in rows], page_number, per_page, total, next_cursor)


def close_expired(now: dt.datetime | None = None) -> int:
    """Close open campaigns whose deadline has passed, in short batches; returns how many closed.

    Applying already refuses a passed deadline at once (409); this keeps the public list (open
    campaigns only) and its maintained total in step with the clock, within the job's period.
    """
    now = now or utcnow()
    closed = 0
    while True:
        with write_transaction(db.session) as session:
            ids = session.execute(select(Campaign.id).where(Campaign.status == OPEN, Campaign.deadline < now)
                                  .order_by(Campaign.status, Campaign.deadline).limit(EXPIRE_BATCH)).scalars().all()
            if ids:
                done = session.execute(update(Campaign).where(Campaign.id.in_(ids), Campaign.status == OPEN)
                                       .values(status=CLOSED, updated_at=now)).rowcount
                count_open(session.connection(), -done)
                closed += done
        if ids:
            invalidate("campaigns", *(f"campaign:{i}" for i in ids))
        if len(ids) < EXPIRE_BATCH:
            return closed


def forget_images(asset_id: str, owner_id: int) -> None:
    """`asset_deleted` hook: the FK cleared the campaigns' image (SET NULL); drop the cached pages.

    A campaign's image is always an asset of its owner, so the campaigns that showed it are among
    the owner's: their pages and the public list are invalidated (one statement on the owner index).
    """
    ids = db.session.execute(select(Campaign.id).where(Campaign.owner_id == owner_id)).scalars().all()
    db.session.commit()
    if ids:
        invalidate("campaigns", *(f"campaign:{i}" for i in ids))
