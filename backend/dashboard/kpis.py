"""Platform KPIs for a period: bookings, revenue, cancellations, chef-view-to-booking conversion, new users.

Three statements whatever the period or the data: bookings made in the period grouped by day
(count, cancelled, billable revenue; through ix_bookings_created_at), accounts created grouped by
day (ix_users_created_at), and the chef-detail views counted on those days (chef_views by day).
The totals are sums of at most 366 daily rows, added up here. The admin dashboard and the admin
KPI report (backend/exports) both use `period_kpis`, so they always agree.

Conversion is bookings made / chef-detail views in the period (None when nothing was viewed):
a funnel ratio across the platform, not a per-visitor attribution.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import case, func, select

from backend.auth.models import User
from backend.coocook.models import Booking, BookingStatus
from backend.dashboard.models import ChefView
from backend.extensions import db

MAX_DAYS = 366
BILLABLE = (BookingStatus.CONFIRMED.value, BookingStatus.COMPLETED.value)


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


def period_kpis(start: dt.date, end: dt.date) -> dict[str, Any]:
    """KPIs of bookings and accounts created on days start..end (inclusive, UTC), with a daily series."""
    since = dt.datetime.combine(start, dt.time())
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    s = db.session
    day = func.date(Booking.created_at)
    cancelled = func.sum(case((Booking.status == BookingStatus.CANCELLED.value, 1), else_=0))
    revenue = func.sum(case((Booking.status.in_(BILLABLE), Booking.price), else_=0))
    booking_rows = s.execute(select(day, func.count(), cancelled, revenue)
                             .where(Booking.created_at >= since, Booking.created_at < until)
                             .group_by(day)).all()
    user_day = func.date(User.created_at)
    user_rows = s.execute(select(user_day, func.count()).where(User.created_at >= since, User.created_at < until)
                          .group_by(user_day)).all()
    view_rows = s.execute(select(ChefView.day, func.sum(ChefView.views))
                          .where(ChefView.day >= start, ChefView.day <= end).group_by(ChefView.day)).all()
    daily: dict[str, dict[str, Any]] = {}
    for offset in range((end - start).days + 1):
        key = (start + dt.timedelta(days=offset)).isoformat()
        daily[key] = {"date": key, "bookings": 0, "cancellations": 0, "revenue": 0.0, "new_users": 0, "views": 0}
    for d, count, cancels, money in booking_rows:
        row = daily.get(_day(d))
        if row is not None:
            row.update(bookings=int(count), cancellations=int(cancels or 0), revenue=round(float(money or 0), 2))
    for d, count in user_rows:
        if (row := daily.get(_day(d))) is not None:
            row["new_users"] = int(count)
    for d, count in view_rows:
        if (row := daily.get(_day(d))) is not None:
            row["views"] = int(count or 0)
    series = list(daily.values())
    total = {k: sum(r[k] for r in series) for k in ("bookings", "cancellations", "new_users", "views")}
    total_revenue = round(sum(r["revenue"] for r in series), 2)
    return {
        "from": start, "to": end, "bookings": total["bookings"], "revenue": total_revenue,
        "cancellations": total["cancellations"],
        "cancellation_rate": round(total["cancellations"] / total["bookings"], 4) if total["bookings"] else None,
        "chef_views": total["views"],
        "view_to_booking": round(total["bookings"] / total["views"], 4) if total["views"] else None,
        "new_users": total["new_users"], "daily": series,
    }
