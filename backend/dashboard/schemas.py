"""Dashboard response schemas (they are the OpenAPI) and the admin period query."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

from backend.common.validation import QuerySchema
from backend.dashboard.kpis import MAX_DAYS


class UpcomingBooking(BaseModel):
    """One of the account's next bookings."""

    id: int
    chef_id: int
    chef_name: str
    date: dt.date
    slot: str
    guests: int
    status: str
    price: float


class RecentSession(BaseModel):
    """A recent Meari session."""

    id: int
    status: str
    concern: str
    created_at: dt.datetime


class RecentExport(BaseModel):
    """A recent export."""

    id: int
    kind: str
    status: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


class UserPart(BaseModel):
    """What any signed-in account sees."""

    upcoming_bookings: list[UpcomingBooking]
    bookings_by_status: dict[str, int]
    total_spent: float = Field(description="Price of the account's confirmed and completed bookings")
    unread_notifications: int
    recent_sessions: list[RecentSession]
    recent_exports: list[RecentExport]


class DayCount(BaseModel):
    """A day's live bookings of the chef's profile."""

    date: dt.date
    bookings: int
    confirmed: int


class MonthFigures(BaseModel):
    """This month's figures of the chef's profile."""

    start: dt.date
    bookings: int = Field(description="Live (not cancelled) bookings dated this month")
    revenue: float = Field(description="Price of this month's confirmed and completed bookings")
    views: int = Field(description="Chef-detail views this month")


class TrendPoint(BaseModel):
    """One month's average rating."""

    month: str
    average: float
    reviews: int


class LatestReview(BaseModel):
    """A recent review of the chef."""

    id: int
    rating: int
    comment: str
    user_name: str
    created_at: dt.datetime


class ChefPart(BaseModel):
    """What a chef sees of their profile."""

    chef_id: int
    name: str
    rating: float
    rating_count: int
    upcoming_by_day: list[DayCount]
    month: MonthFigures
    rating_trend: list[TrendPoint]
    latest_reviews: list[LatestReview]


class DashboardOut(BaseModel):
    """The signed-in account's dashboard (cached per user for 60 s, invalidated by its own writes)."""

    role: str
    today: dt.date
    user: UserPart
    chef: ChefPart | None


class PeriodQuery(QuerySchema):
    """A period of whole UTC days, `from` to `to` inclusive (default: the last 30 days); at most 366 days."""

    model_config = ConfigDict(populate_by_name=True)

    start: dt.date | None = Field(None, alias="from", description="First day (default: 29 days before `to`)")
    end: dt.date | None = Field(None, alias="to", description="Last day (default: today)")

    @model_validator(mode="after")
    def _period(self) -> PeriodQuery:
        for value in (self.start, self.end):
            if value is not None and not (dt.date(2000, 1, 1) <= value <= dt.date(2100, 12, 31)):
                raise ValueError("dates must be between 2000-01-01 and 2100-12-31")
        if self.start is not None and self.end is not None:
            if self.end < self.start:
                raise ValueError("`to` is before `from`")
            if (self.end - self.start).days + 1 > MAX_DAYS:
                raise ValueError(f"a period is at most {MAX_DAYS} days")
        return self

    def bounds(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """(first day, last day) with the defaults filled in."""
        end = self.end or (min(today, self.start + dt.timedelta(days=MAX_DAYS - 1)) if self.start else today)
        start = self.start or end - dt.timedelta(days=29)
        if end < start:
            end = start
        return start, end


class DailyKpi(BaseModel):
    """One day of the KPI period."""

    date: dt.date
    bookings: int
    cancellations: int
    revenue: float
    new_users: int
    views: int


class AdminDashboardOut(BaseModel):
    """Platform KPIs for a period (3 statements; cached per admin and period for 60 s)."""

    model_config = ConfigDict(populate_by_name=True)

    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    bookings: int = Field(description="Bookings made in the period")
    revenue: float = Field(description="Price of those that are confirmed or completed")
    cancellations: int
    cancellation_rate: float | None
    chef_views: int = Field(description="Chef-detail views (cache hits included)")
    view_to_booking: float | None = Field(description="bookings / chef_views")
    new_users: int
    daily: list[DailyKpi]
