"""Applications: apply once, the owner approves or rejects, the applicant completes with a review URL.

Visibility: an application is seen by its applicant, the campaign's owner and admins; anyone else
gets 404 (ids do not leak). Approve/reject: the campaign's owner (or an admin); the applicant who
tries gets 403 (they can see it, so a 404 would lie). Complete: the applicant alone.

The slot rule is the database's: an approval is, in one transaction, the application's
conditional move `pending -> approved` and the campaign's conditional
`approved_count = approved_count + 1 WHERE approved_count < slots` (CHECK approved_count <= slots
behind it). Concurrent approvals queue on the campaign row (PostgreSQL re-evaluates the WHERE on
the row version the winner committed; SQLite's BEGIN IMMEDIATE serialises writers), so when the
last slot goes, every later approval updates nothing and is a 409 `slots_full`, rolled back whole.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from backend.auth.models import User
from backend.caching import invalidate
from backend.campaigns.models import ApplicationStatus, Campaign, CampaignApplication, CampaignStatus
from backend.campaigns.review_url import validate_review_url
from backend.common.actor import Actor
from backend.common.models import utcnow
from backend.common.pagination import cursor_id, decode_cursor, encode_cursor, envelope
from backend.database import write_transaction
from backend.errors import Conflict, Forbidden, NotFound
from backend.extensions import db

PENDING, APPROVED, REJECTED, COMPLETED = (s.value for s in ApplicationStatus)
A = CampaignApplication
Applicant = aliased(User)
COLUMNS = (A.id, A.campaign_id, Campaign.title.label("campaign_title"), A.user_id, Applicant.name.label("user_name"),
           A.status, A.message, A.review_url, A.created_at, A.updated_at)
# action -> (from status, to status)
DECISIONS = {"approve": (PENDING, APPROVED), "reject": (PENDING, REJECTED)}


def application_item(row: Any) -> dict:
    """An application row (COLUMNS) as the API shows it."""
    return {"id": row.id, "campaign_id": row.campaign_id, "campaign_title": row.campaign_title,
            "user_id": row.user_id, "user_name": row.user_name, "status": row.status, "message": row.message,
            "review_url": row.review_url, "created_at": row.created_at, "updated_at": row.updated_at}


def _joined() -> Any:
    return select(*COLUMNS).join(Campaign, Campaign.id == A.campaign_id).join(Applicant, Applicant.id == A.user_id)


def _one(session: Any, application_id: int) -> dict:
    return application_item(session.execute(_joined().where(A.id == application_id)).one())


def _not_found() -> NotFound:
    return NotFound("application not found", code="application_not_found")


def apply(actor: Actor, campaign_id: int, message: str) -> dict:
    """Apply to an open campaign before its deadline; once per user (a second time is a 409)."""
    now = utcnow()
    try:
        with write_transaction(db.session) as session:
            campaign = session.execute(select(Campaign.owner_id, Campaign.status, Campaign.deadline)
                                       .where(Campaign.id == campaign_id)).first()
            if campaign is None or campaign.status == CampaignStatus.DRAFT.value:
                raise NotFound("campaign not found", code="campaign_not_found")
            if campaign.owner_id == actor.id:
                raise Conflict("you cannot apply to your own campaign", code="own_campaign")
            if campaign.status != CampaignStatus.OPEN.value:
                raise Conflict("this campaign is closed", {"status": campaign.status}, code="campaign_closed")
            if campaign.deadline <= now:
                raise Conflict("the campaign's deadline has passed", {"deadline": campaign.deadline.isoformat()},
                               code="deadline_passed")
            application_id = session.execute(insert(A).values(
                campaign_id=campaign_id, user_id=actor.id, status=PENDING, message=message, created_at=now,
                updated_at=now).returning(A.id)).scalar_one()
            session.execute(update(Campaign).where(Campaign.id == campaign_id)
                            .values(applications_count=Campaign.applications_count + 1))
            result = _one(session, application_id)
    except IntegrityError as exc:
        if "uq_campaign_applications_campaign_user" in str(exc.orig) or "campaign_applications.campaign_id, " \
                "campaign_applications.user_id" in str(exc.orig):
            raise Conflict("you have already applied to this campaign", {"campaign_id": campaign_id},
                           code="already_applied") from None
        raise
    invalidate(f"campaign:{campaign_id}")
    return result


def _visible(session: Any, actor: Actor, application_id: int) -> Any:
    """(user_id, campaign_id, status, owner_id) of an application the actor may see; 404 otherwise."""
    row = session.execute(select(A.user_id, A.campaign_id, A.status, Campaign.owner_id)
                          .join(Campaign, Campaign.id == A.campaign_id).where(A.id == application_id)).first()
    if row is None or actor.id not in (row.user_id, row.owner_id) and not actor.is_admin:
        raise _not_found()
    return row


def decide(actor: Actor, application_id: int, action: str) -> dict:
    """Approve or reject a pending application (the campaign's owner); approvals stay within slots."""
    from_status, to_status = DECISIONS[action]
    with write_transaction(db.session) as session:
        row = _visible(session, actor, application_id)
        if row.owner_id != actor.id and not actor.is_admin:
            raise Forbidden(f"only the campaign's owner can {action} an application")
        moved = session.execute(update(A).where(A.id == application_id, A.status == from_status)
                                .values(status=to_status, updated_at=utcnow())).rowcount
        if not moved:
            current = session.execute(select(A.status).where(A.id == application_id)).scalar_one()
            raise Conflict(f"cannot {action} a {current} application", {"status": current, "action": action},
                           code="illegal_transition")
        if to_status == APPROVED:
            taken = session.execute(update(Campaign).where(Campaign.id == row.campaign_id,
                                                           Campaign.approved_count < Campaign.slots)
                                    .values(approved_count=Campaign.approved_count + 1)).rowcount
            if not taken:  # rolls back the application's move too
                slots = session.execute(select(Campaign.slots).where(Campaign.id == row.campaign_id)).scalar_one()
                raise Conflict("every slot of this campaign is taken", {"slots": slots}, code="slots_full")
        result = _one(session, application_id)
    if to_status == APPROVED:
        invalidate("campaigns", f"campaign:{row.campaign_id}")
    return result


def complete(actor: Actor, application_id: int, review_url: str) -> dict:
    """The applicant of an approved application submits the review's URL (validated, not fetched)."""
    url = validate_review_url(review_url)
    with write_transaction(db.session) as session:
        row = _visible(session, actor, application_id)
        if row.user_id != actor.id:
            raise Forbidden("only the applicant can submit the review")
        moved = session.execute(update(A).where(A.id == application_id, A.status == APPROVED)
                                .values(status=COMPLETED, review_url=url, updated_at=utcnow())).rowcount
        if not moved:
            raise Conflict(f"only an approved application can be completed (this one is {row.status})",
                           {"status": row.status}, code="illegal_transition")
        return _one(session, application_id)


def get_application(actor: Actor, application_id: int) -> dict:
    """One application the actor may see (applicant, campaign owner, admin); 404 otherwise."""
    row = db.session.execute(_joined().add_columns(Campaign.owner_id).where(A.id == application_id)).first()
    if row is None or actor.id not in (row.user_id, row.owner_id) and not actor.is_admin:
        raise _not_found()
    return application_item(row)


def _page(conditions: list, page: int, per_page: int, cursor: str | None) -> dict:
    """Applications matching `conditions`, newest first; two statements (page, total)."""
    query = _joined().where(*conditions)
    page_number: int | None = page
    if cursor:
        (last_id,) = decode_cursor(cursor, "applications", (cursor_id,))
        query, page_number = query.where(A.id < last_id), None
    else:
        query = query.offset((page - 1) * per_page)
    rows = db.session.execute(query.order_by(A.id.desc()).limit(per_page + 1)).all()
    total = db.session.execute(select(func.count()).select_from(A).where(*conditions)).scalar_one()
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        next_cursor = encode_cursor("applications", [rows[-1].id])
    return envelope([application_item(r) for r in rows], page_number, per_page, total, next_cursor)


def campaign_applications(actor: Actor, campaign_id: int, *, status: str | None = None, page: int = 1,
                          per_page: int = 20, cursor: str | None = None) -> dict:
    """A campaign's applications for its owner (or an admin); anyone else gets 404."""
    owner = db.session.execute(select(Campaign.owner_id).where(Campaign.id == campaign_id)).scalar()
    if owner is None or (owner != actor.id and not actor.is_admin):
        raise NotFound("campaign not found", code="campaign_not_found")
    conditions = [A.campaign_id == campaign_id, *([A.status == str(status)] if status else [])]
    return _page(conditions, page, per_page, cursor)


def my_applications(actor: Actor, *, status: str | None = None, page: int = 1, per_page: int = 20,
                    cursor: str | None = None) -> dict:
    """The actor's own applications, newest first."""
    conditions = [A.user_id == actor.id, *([A.status == str(status)] if status else [])]
    return _page(conditions, page, per_page, cursor)
