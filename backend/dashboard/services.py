"""The signed-in account's dashboard: its own bookings, notifications, sessions and exports; a chef's profile.

Every part is a fixed list of statements whatever the amount of data (aggregates and LIMITs in
SQL, columns selected rather than ORM objects hydrated, so no lazy load can add a statement):
the user part is 5 statements, the chef part 6 more. Each reads only rows bound to the actor
(its user id, or the chef profile whose user it is). The assembled body is cached per user
(backend/dashboard/cache.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import case, func, select

from backend.auth.models import User
from backend.common.actor import Actor, Role
from backend.common.models import utcnow
from backend.coocook.models import Booking, BookingStatus, Chef, Review
from backend.dashboard.models import ChefView
from backend.exports.models import Export
from backend.extensions import db
from backend.meari.models import MeariSession
from backend.notifications.models import Notification

RECENT = 5  # upcoming bookings, sessions, exports, reviews shown
DAYS_AHEAD = 14  # a chef's upcoming bookings by day
TREND_MONTHS = 6  # a chef's rating trend
UPCOMING = (BookingStatus.PENDING.value, BookingStatus.CONFIRMED.value)
BILLABLE = (BookingStatus.CONFIRMED.value, BookingStatus.COMPLETED.value)  # spent / revenue


def dashboard(actor: Actor) -> dict[str, Any]:
    """The actor's dashboard: the user part always, the chef part for a chef with a profile."""
    today = utcnow().date()
    body: dict[str, Any] = {"role": str(actor.role), "today": today.isoformat(), "user": user_part(actor.id, today),
                            "chef": None}
    if actor.role == Role.CHEF:
        body["chef"] = chef_part(actor.id, today)
    return body


def user_part(user_id: int, today: dt.date) -> dict[str, Any]:
    """Upcoming bookings, counts by status, total spent, unread notifications, recent sessions and exports."""
    s = db.session
    upcoming = s.execute(
        select(Booking.id, Booking.chef_id, Chef.name.label("chef_name"), Booking.date, Booking.slot, Booking.guests,
               Booking.status, Booking.price)
        .join(Chef, Chef.id == Booking.chef_id)
        .where(Booking.user_id == user_id, Booking.date >= today, Booking.status.in_(UPCOMING))
        .order_by(Booking.date, Booking.slot, Booking.id).limit(RECENT)).all()
    by_status = s.execute(
        select(Booking.status, func.count(), func.coalesce(func.sum(Booking.price), 0))
        .where(Booking.user_id == user_id).group_by(Booking.status)).all()
    unread = s.execute(select(func.count()).select_from(Notification)
                       .where(Notification.user_id == user_id, Notification.read_at.is_(None))).scalar_one()
    sessions = s.execute(
        select(MeariSession.id, MeariSession.status, MeariSession.concern, MeariSession.created_at)
        .where(MeariSession.user_id == user_id)
        .order_by(MeariSession.created_at.desc(), MeariSession.id.desc()).limit(RECENT)).all()
    exports = s.execute(
        select(Export.id, Export.kind, Export.status, Export.created_at, Export.finished_at)
        .where(Export.user_id == user_id).order_by(Export.created_at.desc(), Export.id.desc()).limit(RECENT)).all()
    counts = {status.value: 0 for status in BookingStatus}
    spent = 0.0
    for status, count, total in by_status:
        counts[status] = count
        if status in BILLABLE:
            spent += float(total)
    return {
        "upcoming_bookings": [{"id": r.id, "chef_id": r.chef_id, "chef_name": r.chef_name, "date": r.date,
                               "slot": r.slot, "guests": r.guests, "status": r.status, "price": r.price}
                              for r in upcoming],
        "bookings_by_status": counts,
        "total_spent": round(spent, 2),
        "unread_notifications": unread,
        "recent_sessions": [{"id": r.id, "status": r.status, "concern": r.concern[:80], "created_at": r.created_at}
                            for r in sessions],
        "recent_exports": [{"id": r.id, "kind": r.kind, "status": r.status, "created_at": r.created_at,
                            "finished_at": r.finished_at} for r in exports],
    }


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """[first day of `day`'s month, first day of the next month)."""
    start = day.replace(day=1)
    return start, (start + dt.timedelta(days=32)).replace(day=1)


def months_back(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` before `day`'s month."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, 1)


def month_label(column: Any) -> Any:
    """'YYYY-MM' of a timestamp column, in the session's SQL dialect."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def chef_part(user_id: int, today: dt.date) -> dict[str, Any] | None:
    """The chef profile's next days by day, this month's bookings/revenue/views, rating trend, latest reviews."""
    s = db.session
    chef = s.execute(select(Chef.id, Chef.name, Chef.rating, Chef.rating_count).where(Chef.user_id == user_id)).first()
    if chef is None:
        return None
    live = Booking.status != BookingStatus.CANCELLED.value  # the partial unique index (chef_id, date, slot)
    days = s.execute(
        select(Booking.date, func.count(), func.sum(case((Booking.status == BookingStatus.CONFIRMED.value, 1),
                                                         else_=0)))
        .where(Booking.chef_id == chef.id, live, Booking.date >= today,
               Booking.date < today + dt.timedelta(days=DAYS_AHEAD))
        .group_by(Booking.date).order_by(Booking.date)).all()
    start, end = month_bounds(today)
    month = s.execute(
        select(func.count(), func.coalesce(func.sum(case((Booking.status.in_(BILLABLE), Booking.price), else_=0)), 0))
        .where(Booking.chef_id == chef.id, live, Booking.date >= start, Booking.date < end)).one()
    label = month_label(Review.created_at)
    trend = s.execute(
        select(label.label("month"), func.avg(Review.rating), func.count())
        .where(Review.chef_id == chef.id, Review.created_at >= months_back(today, TREND_MONTHS - 1))
        .group_by(label).order_by(label)).all()
    reviews = s.execute(
        select(Review.id, Review.rating, Review.comment, Review.created_at, User.name.label("user_name"))
        .join(User, User.id == Review.user_id)
        .where(Review.chef_id == chef.id).order_by(Review.created_at.desc(), Review.id.desc()).limit(RECENT)).all()
    views = s.execute(select(func.coalesce(func.sum(ChefView.views), 0))
                      .where(ChefView.chef_id == chef.id, ChefView.day >= start, ChefView.day < end)).scalar_one()
    return {
        "chef_id": chef.id, "name": chef.name, "rating": round(chef.rating, 2), "rating_count": chef.rating_count,
        "upcoming_by_day": [{"date": d, "bookings": n, "confirmed": int(c or 0)} for d, n, c in days],
        "month": {"start": start, "bookings": month[0], "revenue": round(float(month[1]), 2), "views": int(views)},
        "rating_trend": [{"month": m, "average": round(float(a), 2), "reviews": n} for m, a, n in trend],
        "latest_reviews": [{"id": r.id, "rating": r.rating, "comment": r.comment[:200], "user_name": r.user_name,
                            "created_at": r.created_at} for r in reviews],
    }
