"""The dashboard's own table (chef-detail views per chef and day) and the indexes its period reads use.

`chef_views` holds what each web process counted in memory (backend/dashboard/views.py), added in
by an upsert every DASHBOARD_VIEWS_FLUSH_SECONDS; no row is written per request. It has no foreign
key on chefs: a flush is one statement for many chefs, and one stale id must not lose the batch.

The admin KPIs select a period of bookings and of new accounts by `created_at`; neither table had
an index on it (their own queries go by owner), so the two indexes are declared here, next to the
query that needs them, rather than in the owning domains' models.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from backend.auth.models import User
from backend.coocook.models import Booking
from backend.extensions import db


class ChefView(db.Model):
    """How many times a chef's detail was served (L1 hits included) on one UTC day."""

    __tablename__ = "chef_views"

    chef_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

    __table_args__ = (Index("ix_chef_views_day", "day"),)  # the admin period sum reads days across chefs


# Period reads of the admin KPIs (bookings made, accounts created between two dates). The bookings
# index carries status and price, so the period's aggregate reads the index alone (covering): at
# SCALE=large a 30-day period is ~38,000 bookings, and visiting the table for each was most of it.
BOOKINGS_CREATED = Index("ix_bookings_created_at", Booking.created_at, Booking.status, Booking.price)
USERS_CREATED = Index("ix_users_created_at", User.created_at)
