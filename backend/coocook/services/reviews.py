"""Reviews: one per completed booking, by its user; the chef's rating moves in the same transaction."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from backend.caching import invalidate
from backend.common.actor import Actor
from backend.common.events import publish
from backend.common.models import utcnow
from backend.coocook.models import Booking, BookingStatus, Chef, Review
from backend.database import write_transaction
from backend.errors import Conflict, Forbidden, NotFound
from backend.extensions import db


def create_review(actor: Actor, booking_id: int, rating: int, comment: str) -> dict:
    """Review a completed booking once; rating and rating_count change atomically with the insert."""
    try:
        with write_transaction(db.session) as session:
            row = session.execute(select(Booking.user_id, Booking.chef_id, Booking.status,
                                         Chef.user_id.label("chef_user_id"))
                                  .join(Chef, Chef.id == Booking.chef_id).where(Booking.id == booking_id)).first()
            is_party = row is not None and actor.id in (row.user_id, row.chef_user_id)
            if row is None or not (is_party or actor.is_admin):
                raise NotFound("booking not found", code="booking_not_found")
            if row.user_id != actor.id:
                raise Forbidden("only the booking's user can review it")
            if row.status != BookingStatus.COMPLETED:
                raise Conflict("only a completed booking can be reviewed", {"status": row.status},
                               code="booking_not_completed")
            now = utcnow()
            review_id = session.execute(insert(Review).values(
                booking_id=booking_id, chef_id=row.chef_id, user_id=actor.id, rating=rating, comment=comment,
                created_at=now).returning(Review.id)).scalar_one()
            # One statement: the new average is computed from the row's current values under its lock.
            session.execute(update(Chef).where(Chef.id == row.chef_id).values(
                rating=(Chef.rating * Chef.rating_count + rating) / (Chef.rating_count + 1),
                rating_count=Chef.rating_count + 1))
    except IntegrityError:
        raise Conflict("this booking has already been reviewed", code="already_reviewed") from None
    invalidate("chefs", f"chef:{row.chef_id}")
    publish("review_created", review_id=review_id, booking_id=booking_id, chef_id=row.chef_id,
            chef_user_id=row.chef_user_id, rating=rating)
    return {"id": review_id, "booking_id": booking_id, "chef_id": row.chef_id, "user_id": actor.id,
            "rating": rating, "comment": comment, "created_at": now}
