"""The signed-in account's dashboard: its own bookings, notifications, sessions and exports; a chef's profile.

Every part is a fixed list of statements whatever the amount of data (aggregates and LIMITs in
SQL, columns selected rather than ORM objects hydrated, so no lazy load can add a statement):
the user part is 5 statements, the chef part 6 more. Each reads only rows bound to the actor
(its user id, or the chef profile whose user it is). The assembled body is cached per user
(backend/dashboard/cache.py).

Statements are built once (bound parameters) and run on one pooled connection through Core
(`read_connection`), not the ORM session: measured at SCALE=large, the five user statements took
~3 ms each through `Session.execute` (ORM compile-cache lookup, result bookkeeping) against
0.2 ms of database time in all; see docs/performance.md "Dashboards and exports".
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, func, select

from backend.auth.models import User
from backend.common.actor import Actor, Role
from backend.common.models import utcnow
from backend.coocook.models import Booking, BookingStatus, Chef, Review
from backend.dashboard.models import ChefView
from backend.database import read_connection
from backend.exports.models import Export
from backend.extensions import db
from backend.meari.models import MeariSession
from backend.notifications.models import Notification

RECENT = 5  # upcoming bookings, sessions, exports, reviews shown
DAYS_AHEAD = 14  # a chef's upcoming bookings by day
TREND_MONTHS = 6  # a chef's rating trend
UPCOMING = (BookingStatus.PENDING.value, BookingStatus.CONFIRMED.value)
BILLABLE = (BookingStatus.CONFIRMED.value, BookingStatus.COMPLETED.value)  # spent / revenue


B, C, R, U = Booking.__table__.c, Chef.__table__.c, Review.__table__.c, User.__table__.c
N, M, E, V = Notification.__table__.c, MeariSession.__table__.c, Export.__table__.c, ChefView.__table__.c
LIVE = B.status != BookingStatus.CANCELLED.value  # the partial unique index (chef_id, date, slot)
USER_ID, CHEF_ID, TODAY = bindparam("user_id"), bindparam("chef_id"), bindparam("today", type_=B.date.type)

UPCOMING_BOOKINGS = (
    select(B.id, B.chef_id, C.name.label("chef_name"), B.date, B.slot, B.guests, B.status, B.price)
    .join(Chef.__table__, C.id == B.chef_id).where(B.user_id == USER_ID, B.date >= TODAY, B.status.in_(UPCOMING))
    .order_by(B.date, B.slot, B.id).limit(RECENT))
BY_STATUS = select(B.status, func.count(), func.coalesce(func.sum(B.price), 0)).where(B.user_id == USER_ID) \
    .group_by(B.status)
UNREAD = select(func.count()).select_from(Notification.__table__).where(N.user_id == USER_ID, N.read_at.is_(None))
SESSIONS = (select(M.id, M.status, M.concern, M.created_at).where(M.user_id == USER_ID)
            .order_by(M.created_at.desc(), M.id.desc()).limit(RECENT))
EXPORTS = (select(E.id, E.kind, E.status, E.created_at, E.finished_at).where(E.user_id == USER_ID)
           .order_by(E.created_at.desc(), E.id.desc()).limit(RECENT))

CHEF_OF_USER = select(C.id, C.name, C.rating, C.rating_count).where(C.user_id == USER_ID)
DAYS = (select(B.date, func.count(), func.sum(case((B.status == BookingStatus.CONFIRMED.value, 1), else_=0)))
        .where(B.chef_id == CHEF_ID, LIVE, B.date >= TODAY, B.date < bindparam("until", type_=B.date.type))
        .group_by(B.date).order_by(B.date))
MONTH = (select(func.count(), func.coalesce(func.sum(case((B.status.in_(BILLABLE), B.price), else_=0)), 0))
         .where(B.chef_id == CHEF_ID, LIVE, B.date >= bindparam("start", type_=B.date.type),
                B.date < bindparam("end", type_=B.date.type)))
REVIEWS = (select(R.id, R.rating, R.comment, R.created_at, U.name.label("user_name"))
           .join(User.__table__, U.id == R.user_id).where(R.chef_id == CHEF_ID)
           .order_by(R.created_at.desc(), R.id.desc()).limit(RECENT))
VIEWS = select(func.coalesce(func.sum(V.views), 0)).where(
    V.chef_id == CHEF_ID, V.day >= bindparam("start", type_=V.day.type), V.day < bindparam("end", type_=V.day.type))


def dashboard(actor: Actor) -> dict[str, Any]:
    """The actor's dashboard: the user part always, the chef part for a chef with a profile."""
    today = utcnow().date()
    with read_connection(db.engine) as conn:
        body: dict[str, Any] = {"role": str(actor.role), "today": today.isoformat(),
                                "user": user_part(conn, actor.id, today), "chef": None}
        if actor.role == Role.CHEF:
            body["chef"] = chef_part(conn, actor.id, today)
    return body


def user_part(conn: Any, user_id: int, today: dt.date) -> dict[str, Any]:
    """Upcoming bookings, counts by status, total spent, unread notifications, recent sessions and exports."""
    upcoming = conn.execute(UPCOMING_BOOKINGS, {"user_id": user_id, "today": today}).all()
    by_status = conn.execute(BY_STATUS, {"user_id": user_id}).all()
    unread = conn.execute(UNREAD, {"user_id": user_id}).scalar_one()
    sessions = conn.execute(SESSIONS, {"user_id": user_id}).all()
    exports = conn.execute(EXPORTS, {"user_id": user_id}).all()
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


@cache
def trend_statement(dialect: str) -> Any:
    """Average rating per 'YYYY-MM' of a chef's reviews since a day, in `dialect`'s date formatting."""
    label = func.to_char(R.created_at, "YYYY-MM") if dialect == "postgresql" else func.strftime("%Y-%m", R.created_at)
    return (select(label.label("month"), func.avg(R.rating), func.count())
            .where(R.chef_id == CHEF_ID, R.created_at >= bindparam("since", type_=R.created_at.type))
            .group_by(label).order_by(label))


def chef_part(conn: Any, user_id: int, today: dt.date) -> dict[str, Any] | None:
    """The chef profile's next days by day, this month's bookings/revenue/views, rating trend, latest reviews."""
    chef = conn.execute(CHEF_OF_USER, {"user_id": user_id}).first()
    if chef is None:
        return None
    start, end = month_bounds(today)
    ids = {"chef_id": chef.id}
    days = conn.execute(DAYS, {**ids, "today": today, "until": today + dt.timedelta(days=DAYS_AHEAD)}).all()
    month = conn.execute(MONTH, {**ids, "start": start, "end": end}).one()
    since = dt.datetime.combine(months_back(today, TREND_MONTHS - 1), dt.time())
    trend = conn.execute(trend_statement(conn.dialect.name), {**ids, "since": since}).all()
    reviews = conn.execute(REVIEWS, ids).all()
    views = conn.execute(VIEWS, {**ids, "start": start, "end": end}).scalar_one()
    return {
        "chef_id": chef.id, "name": chef.name, "rating": round(chef.rating, 2), "rating_count": chef.rating_count,
        "upcoming_by_day": [{"date": d, "bookings": n, "confirmed": int(c or 0)} for d, n, c in days],
        "month": {"start": start, "bookings": month[0], "revenue": round(float(month[1]), 2), "views": int(views)},
        "rating_trend": [{"month": m, "average": round(float(a), 2), "reviews": n} for m, a, n in trend],
        "latest_reviews": [{"id": r.id, "rating": r.rating, "comment": r.comment[:200], "user_name": r.user_name,
                            "created_at": r.created_at} for r in reviews],
    }
