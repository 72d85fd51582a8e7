"""Booking lifecycle: create (one live booking per chef/date/slot), list, detail, transitions.

Visibility: a booking is seen by its user, by the chef it books and by admins; anyone else gets
404, so ids do not leak. Transitions: pending -> confirmed -> completed; pending/confirmed ->
cancelled. Anything else is 409. Who may: confirm and complete, the booked chef; cancel, the
booking's user, the booked chef or an admin.

Rules that keep one account from gaming the calendar or the ratings:
- `complete` only on or after the booking's date (UTC), else 409 `too_early`: a booking in the
  future cannot be completed, so it cannot be reviewed before it happened;
- a user holds at most MAX_PENDING_PER_CHEF pending bookings with one chef (409
  `too_many_pending`); confirming or cancelling one frees a place. The count is read in the
  booking's write transaction with the chef row locked (FOR UPDATE on PostgreSQL; SQLite's
  BEGIN IMMEDIATE already serialises writers), so two concurrent requests cannot both pass it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from backend.auth.models import User
from backend.caching import invalidate
from backend.common.actor import Actor, Role
from backend.common.events import stage
from backend.common.models import utcnow
from backend.common.pagination import cursor_id, decode_cursor, encode_cursor, envelope
from backend.coocook.models import Booking, BookingStatus, Chef
from backend.coocook.services import booking_statements as statements
from backend.database import write_transaction
from backend.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.extensions import db

PENDING, CONFIRMED, COMPLETED, CANCELLED = BookingStatus
# Bumped (first) by every write that changes only a chef's counters: the cached list pages read the
# rows' generations after building a page and must see that a row changed meanwhile (caching.view).
CHEF_ROWS = "chefs:rows"
# action -> (allowed current statuses, new status, who may do it)
TRANSITIONS = {
    "confirm": ({PENDING}, CONFIRMED, "chef"),
    "complete": ({CONFIRMED}, COMPLETED, "chef"),
    "cancel": ({PENDING, CONFIRMED}, CANCELLED, "party"),
}
Owner = aliased(User)
COLUMNS = (Booking.id, Booking.chef_id, Chef.name.label("chef_name"), Booking.user_id,
           Owner.name.label("user_name"), Booking.date, Booking.slot, Booking.guests, Booking.status,
           Booking.price, Booking.created_at, Booking.updated_at)


def booking_item(row: Any) -> dict:
    """A booking row as the API shows it."""
    return {"id": row.id, "chef_id": row.chef_id, "chef_name": row.chef_name, "user_id": row.user_id,
            "user_name": row.user_name, "date": row.date.isoformat(), "slot": row.slot, "guests": row.guests,
            "status": row.status, "price": row.price, "created_at": row.created_at, "updated_at": row.updated_at}


def _joined():
    return select(*COLUMNS).join(Chef, Chef.id == Booking.chef_id).join(Owner, Owner.id == Booking.user_id)


def _visible(actor: Actor):
    """The SQL condition for the bookings `actor` may see.

    The actor carries no CooCook data, so a chef's profile id is looked up first (one indexed
    statement, chef accounts only). A literal id, not a scalar subquery: PostgreSQL cannot estimate
    `chef_id = (SELECT ...)` and then hash-joins whole tables instead of using the chef index.
    """
    if actor.role == Role.ADMIN:
        return None
    if actor.role == Role.CHEF:
        chef_id = db.session.execute(select(Chef.id).where(Chef.user_id == actor.id)).scalar()
        if chef_id is not None:
            return or_(Booking.user_id == actor.id, Booking.chef_id == chef_id)
    return Booking.user_id == actor.id


def _is_live_slot_clash(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return "uq_bookings_live_slot" in text or "bookings.chef_id, bookings.date, bookings.slot" in text


def create_booking(actor: Actor, chef_id: int, date: dt.date, slot: str, guests: int) -> dict:
    """Book `chef_id` for `date`/`slot`; 409 when the slot already has a live booking."""
    today = dt.datetime.now(dt.UTC).date()
    horizon = today + dt.timedelta(days=current_app.config["BOOKING_HORIZON_DAYS"])
    if not today <= date <= horizon:
        raise ValidationFailed("request body is invalid", {"location": "body", "fields": {
            "date": f"must be between {today.isoformat()} and {horizon.isoformat()}"}})
    try:
        with write_transaction(db.session) as session:
            # Prebuilt statements on the session's connection (booking_statements: a measured hot
            # path). The chef row is locked first on PostgreSQL and the pending count follows it.
            conn = session.connection()
            dialect = conn.dialect.name
            params = {"chef_id": chef_id, "user_id": actor.id}
            chef = conn.execute(statements.chef_for_booking(dialect), params).first()
            if chef is None:
                raise ValidationFailed("request body is invalid", {"location": "body", "fields": {
                    "chef_id": "no active chef with this id"}})
            if chef.user_id == actor.id:
                raise ValidationFailed("request body is invalid", {"location": "body", "fields": {
                    "chef_id": "you cannot book your own chef profile"}})
            limit = current_app.config["MAX_PENDING_PER_CHEF"]
            pending = chef.pending if dialect != "postgresql" else \
                conn.execute(statements.pending_count(), params).scalar_one()
            if pending >= limit:
                raise Conflict(f"you already hold {pending} pending bookings with this chef (at most {limit})",
                               {"chef_id": chef_id, "pending": pending, "limit": limit}, code="too_many_pending")
            now = utcnow()
            booking_id = conn.execute(statements.insert_booking(), {
                "user_id": actor.id, "chef_id": chef_id, "date": date, "slot": str(slot), "guests": guests,
                "status": PENDING.value, "price": chef.price_per_session, "created_at": now,
                "updated_at": now}).scalar_one()
            # Only chef_id: Core treats any other key that names a column as one more SET value.
            conn.execute(statements.count_booking(), {"chef_id": chef_id})
            # Last in the transaction: the parties' notifications commit with the booking (one commit).
            event = stage(conn, "booking_created", booking_id=booking_id, user_id=actor.id,
                          chef_user_id=chef.user_id, date=date.isoformat(), slot=str(slot))
    except IntegrityError as exc:
        if _is_live_slot_clash(exc):
            raise Conflict("this chef already has a booking for that date and slot",
                           {"chef_id": chef_id, "date": date.isoformat(), "slot": slot}, code="slot_taken") from None
        raise
    invalidate(CHEF_ROWS, f"chef:{chef_id}")  # the guard first (caching.view.cached_response)
    event.publish()
    return {"id": booking_id, "chef_id": chef_id, "chef_name": chef.name, "user_id": actor.id,
            "user_name": actor.name, "date": date.isoformat(), "slot": slot, "guests": guests,
            "status": PENDING, "price": chef.price_per_session, "created_at": now, "updated_at": now}


def list_bookings(actor: Actor, *, status: str | None = None, page: int = 1, per_page: int = 20,
                  cursor: str | None = None) -> dict:
    """The bookings `actor` is party to (all for an admin), newest first; offset or keyset pages."""
    conditions = [c for c in (_visible(actor), Booking.status == status if status else None) if c is not None]
    query = _joined().where(*conditions)
    page_number: int | None = page
    if cursor:
        (last_id,) = decode_cursor(cursor, "bookings", (cursor_id,))
        query, page_number = query.where(Booking.id < last_id), None
    else:
        query = query.offset((page - 1) * per_page)
    rows = db.session.execute(query.order_by(Booking.id.desc()).limit(per_page + 1)).all()
    total = db.session.execute(select(func.count()).select_from(Booking).where(*conditions)).scalar_one()
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        next_cursor = encode_cursor("bookings", [rows[-1].id])
    return envelope([booking_item(r) for r in rows], page_number, per_page, total, next_cursor)


def get_booking(actor: Actor, booking_id: int) -> dict:
    """One booking the actor may see; 404 otherwise."""
    visible = _visible(actor)
    query = _joined().where(Booking.id == booking_id)
    row = db.session.execute(query.where(visible) if visible is not None else query).first()
    if row is None:
        raise NotFound("booking not found", code="booking_not_found")
    return booking_item(row)


def transition(actor: Actor, booking_id: int, action: str) -> dict:
    """Apply `action` (confirm, complete, cancel) if legal for the current status and the actor."""
    allowed_from, new_status, who = TRANSITIONS[action]
    with write_transaction(db.session) as session:
        row = session.execute(select(Booking.id, Booking.user_id, Booking.chef_id, Booking.status, Booking.date,
                                     Booking.slot, Chef.user_id.label("chef_user_id"))
                              .join(Chef, Chef.id == Booking.chef_id).where(Booking.id == booking_id)).first()
        is_chef = row is not None and row.chef_user_id == actor.id
        is_user = row is not None and row.user_id == actor.id
        if row is None or not (is_chef or is_user or actor.is_admin):
            raise NotFound("booking not found", code="booking_not_found")
        if who == "chef" and not is_chef:
            raise Forbidden(f"only the booked chef can {action} a booking")
        if row.status not in allowed_from:
            raise Conflict(f"cannot {action} a {row.status} booking",
                           {"status": row.status, "action": action}, code="illegal_transition")
        today = dt.datetime.now(dt.UTC).date()
        if action == "complete" and row.date > today:
            raise Conflict("a booking can be completed only on or after its date",
                           {"date": row.date.isoformat(), "today": today.isoformat()}, code="too_early")
        done = session.execute(update(Booking).where(Booking.id == booking_id, Booking.status == row.status)
                               .values(status=new_status, updated_at=utcnow())).rowcount
        if not done:  # changed under us (PostgreSQL read committed); the caller may retry
            raise Conflict("booking changed concurrently; retry", code="concurrent_update")
        if new_status == CANCELLED:
            session.execute(update(Chef).where(Chef.id == row.chef_id)
                            .values(booking_count=Chef.booking_count - 1))
        event = stage(session.connection(), f"booking_{new_status}", booking_id=booking_id, user_id=row.user_id,
                      chef_user_id=row.chef_user_id, date=row.date.isoformat(), slot=str(row.slot), by=actor.id)
    if new_status == CANCELLED:
        invalidate(CHEF_ROWS, f"chef:{row.chef_id}")
    event.publish()
    return get_booking(actor, booking_id)
