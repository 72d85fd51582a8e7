"""The built-in PDF export kinds: booking receipt, my bookings for a period, chef monthly statement, admin KPI report.

Each kind is a params schema (validated in the request), an authorisation check (in the request,
so a client learns at once that it may not have it), a renderer (in the job) and a file name.
Renderers read with column selects; long listings stream (`yield_per`), so memory holds one
batch of rows plus the document being built (see docs/performance.md "Exports").
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from pydantic import ConfigDict, Field, model_validator
from sqlalchemy import case, func, select

from backend.auth.models import User
from backend.common.actor import Actor, Role
from backend.common.validation import BodySchema, DbInt
from backend.coocook.models import Booking, BookingStatus, Chef, Review
from backend.errors import NotFound
from backend.exports.kinds import ExportKind, RenderContext, register
from backend.exports.pdf import Column, Document
from backend.extensions import db

PDF = "application/pdf"
BILLABLE = (BookingStatus.CONFIRMED.value, BookingStatus.COMPLETED.value)
MAX_LISTING_DAYS = 5 * 366
MAX_KPI_DAYS = 366
BATCH = 1000


def money(value: Any) -> str:
    """A price as shown in documents."""
    return f"{float(value or 0):,.2f}"


class Period(BodySchema):
    """Whole UTC days `from` to `to` inclusive."""

    model_config = ConfigDict(populate_by_name=True)
    MAX_DAYS: ClassVar[int] = MAX_LISTING_DAYS

    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")

    @model_validator(mode="after")
    def _period(self) -> Period:
        for value in (self.start, self.end):
            if not dt.date(2000, 1, 1) <= value <= dt.date(2100, 12, 31):
                raise ValueError("dates must be between 2000-01-01 and 2100-12-31")
        if self.end < self.start:
            raise ValueError("`to` is before `from`")
        if (self.end - self.start).days + 1 > self.MAX_DAYS:
            raise ValueError(f"a period is at most {self.MAX_DAYS} days")
        return self


class KpiPeriod(Period):
    """A KPI period (at most 366 days)."""

    MAX_DAYS: ClassVar[int] = MAX_KPI_DAYS


class ReceiptParams(BodySchema):
    """Which booking."""

    booking_id: DbInt


class StatementParams(BodySchema):
    """Which month, as YYYY-MM."""

    month: str = Field(pattern=r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$", max_length=7)

    def bounds(self) -> tuple[dt.date, dt.date]:
        """[first day, first day of the next month)."""
        start = dt.date(int(self.month[:4]), int(self.month[5:]), 1)
        return start, (start + dt.timedelta(days=32)).replace(day=1)


# -- booking receipt ---------------------------------------------------------------------------

def _receipt_row(booking_id: int, user_id: int) -> Any:
    """The booking if `user_id` is its user or its chef, else None (one statement)."""
    guest = User.__table__.alias("guest")
    return db.session.execute(
        select(Booking.id, Booking.date, Booking.slot, Booking.guests, Booking.status, Booking.price,
               Booking.created_at, Booking.user_id, Chef.name.label("chef_name"), Chef.location,
               Chef.user_id.label("chef_user_id"), guest.c.name.label("guest_name"))
        .join(Chef, Chef.id == Booking.chef_id).join(guest, guest.c.id == Booking.user_id)
        .where(Booking.id == booking_id, (Booking.user_id == user_id) | (Chef.user_id == user_id))).first()


def _authorize_receipt(actor: Actor, params: ReceiptParams) -> None:
    if _receipt_row(params.booking_id, actor.id) is None:
        raise NotFound("booking not found", code="booking_not_found")


def _render_receipt(ctx: RenderContext, params: ReceiptParams) -> int:
    row = _receipt_row(params.booking_id, ctx.owner.id)
    if row is None:
        raise NotFound("booking not found", code="booking_not_found")
    doc = Document(f"Receipt for booking #{row.id}", f"Issued to {ctx.owner.name}")
    doc.facts([("Booking", f"#{row.id}"), ("Chef", f"{row.chef_name} ({row.location})"), ("Guest", row.guest_name),
               ("Date", f"{row.date.isoformat()} ({row.slot})"), ("Guests", str(row.guests)),
               ("Status", row.status), ("Booked at", row.created_at.strftime("%Y-%m-%d %H:%M UTC")),
               ("Price", money(row.price))])
    if row.status not in BILLABLE:
        doc.paragraph(f"This booking is {row.status}: nothing is charged until the chef confirms it"
                      if row.status == BookingStatus.PENDING.value else "This booking was cancelled: nothing is due.")
    doc.output(ctx.out)
    return 1


# -- my bookings for a period ------------------------------------------------------------------

BOOKING_COLUMNS = [Column("#", 16, "R"), Column("Date", 21), Column("Slot", 14), Column("Chef", 62),
                   Column("Guests", 13, "R"), Column("Status", 35), Column("Price", 21, "R")]


def _render_my_bookings(ctx: RenderContext, params: Period) -> int:
    where = (Booking.user_id == ctx.owner.id, Booking.date >= params.start, Booking.date <= params.end)
    total, billed = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((Booking.status.in_(BILLABLE), Booking.price), else_=0)), 0))
        .where(*where)).one()
    doc = Document(f"Bookings of {ctx.owner.name}", f"{params.start.isoformat()} to {params.end.isoformat()}")
    shown = min(total, ctx.max_rows)
    doc.facts([("Bookings", f"{total:,}"), ("Confirmed and completed", money(billed))])
    if shown < total:
        doc.paragraph(f"Only the first {shown:,} bookings are listed (EXPORTS_MAX_ROWS).")
    rows = db.session.execute(
        select(Booking.id, Booking.date, Booking.slot, Chef.name, Booking.guests, Booking.status, Booking.price)
        .join(Chef, Chef.id == Booking.chef_id).where(*where).order_by(Booking.date, Booking.slot, Booking.id)
        .limit(shown).execution_options(yield_per=BATCH))
    drawn = doc.table(BOOKING_COLUMNS, _listing(ctx, rows, shown))
    doc.output(ctx.out)
    return drawn


def _listing(ctx: RenderContext, rows: Any, total: int):
    for n, r in enumerate(rows, start=1):
        if n % BATCH == 0:
            ctx.progress(10 + 80 * n // max(total, 1), f"{n:,} of {total:,} rows")
        yield (str(r.id), r.date.isoformat(), r.slot, r.name, str(r.guests), r.status, money(r.price))


# -- chef monthly statement --------------------------------------------------------------------

def _chef_of(user_id: int) -> Any:
    return db.session.execute(select(Chef.id, Chef.name, Chef.location).where(Chef.user_id == user_id)).first()


def _authorize_statement(actor: Actor, params: StatementParams) -> None:
    if _chef_of(actor.id) is None:
        raise NotFound("this account has no chef profile", code="chef_not_found")


STATEMENT_COLUMNS = [Column("#", 16, "R"), Column("Date", 21), Column("Slot", 14), Column("Guest", 62),
                     Column("Guests", 13, "R"), Column("Status", 35), Column("Price", 21, "R")]


def _render_statement(ctx: RenderContext, params: StatementParams) -> int:
    chef = _chef_of(ctx.owner.id)
    if chef is None:
        raise NotFound("this account has no chef profile", code="chef_not_found")
    start, end = params.bounds()
    where = (Booking.chef_id == chef.id, Booking.date >= start, Booking.date < end)
    summary = db.session.execute(select(
        func.count(), func.coalesce(func.sum(case((Booking.status == BookingStatus.CANCELLED.value, 1), else_=0)), 0),
        func.coalesce(func.sum(case((Booking.status.in_(BILLABLE), Booking.price), else_=0)), 0)).where(*where)).one()
    reviews = db.session.execute(select(func.count(), func.avg(Review.rating)).where(
        Review.chef_id == chef.id, Review.created_at >= dt.datetime.combine(start, dt.time()),
        Review.created_at < dt.datetime.combine(end, dt.time()))).one()
    doc = Document(f"Monthly statement {params.month}", f"{chef.name} — {chef.location}")
    shown = min(summary[0], ctx.max_rows)
    doc.facts([("Bookings", f"{summary[0]:,}"), ("Cancelled", f"{summary[1]:,}"),
               ("Revenue (confirmed and completed)", money(summary[2])),
               ("Reviews this month",
                f"{reviews[0]:,}" + (f" (average {float(reviews[1]):.2f})" if reviews[0] else ""))],
              label_width=62)
    guest = User.__table__.alias("guest")
    rows = db.session.execute(
        select(Booking.id, Booking.date, Booking.slot, guest.c.name, Booking.guests, Booking.status, Booking.price)
        .join(guest, guest.c.id == Booking.user_id).where(*where).order_by(Booking.date, Booking.slot, Booking.id)
        .limit(shown).execution_options(yield_per=BATCH))
    drawn = doc.table(STATEMENT_COLUMNS, _listing(ctx, rows, shown))
    doc.output(ctx.out)
    return drawn


# -- admin KPI report --------------------------------------------------------------------------

DAILY_COLUMNS = [Column("Date", 26), Column("Bookings", 24, "R"), Column("Cancelled", 24, "R"),
                 Column("Revenue", 34, "R"), Column("Chef views", 28, "R"), Column("New users", 28, "R")]


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.2f} %"


def _render_kpis(ctx: RenderContext, params: KpiPeriod) -> int:
    from backend.dashboard.kpis import period_kpis  # the dashboard's figures, so the two never disagree
    from backend.exports import charts

    k = period_kpis(params.start, params.end)
    ctx.progress(40, "figures computed")
    doc = Document("Platform KPI report", f"{params.start.isoformat()} to {params.end.isoformat()}")
    doc.facts([("Bookings made", f"{k['bookings']:,}"), ("Revenue (confirmed and completed)", money(k["revenue"])),
               ("Cancellations", f"{k['cancellations']:,} ({_rate(k['cancellation_rate'])})"),
               ("Chef-detail views", f"{k['chef_views']:,}"), ("View to booking", _rate(k["view_to_booking"])),
               ("New users", f"{k['new_users']:,}")], label_width=62)
    days = [d["date"] for d in k["daily"]]
    width = doc.w - doc.l_margin - doc.r_margin
    doc.image(charts.bookings_chart(days, [d["bookings"] for d in k["daily"]],
                                    [d["cancellations"] for d in k["daily"]]), w=width)
    doc.image(charts.revenue_chart(days, [d["revenue"] for d in k["daily"]], [d["views"] for d in k["daily"]]),
              w=width)
    ctx.progress(70, "charts drawn")
    doc.heading("Per day")
    doc.table(DAILY_COLUMNS, ((d["date"], f"{d['bookings']:,}", f"{d['cancellations']:,}", money(d["revenue"]),
                               f"{d['views']:,}", f"{d['new_users']:,}") for d in k["daily"]))
    doc.output(ctx.out)
    return len(days)


def _period_name(prefix: str):
    return lambda owner, p: f"{prefix}-{p.start.isoformat()}_{p.end.isoformat()}"


register(ExportKind("booking_receipt", ReceiptParams, _render_receipt, PDF, "pdf",
                    lambda owner, p: f"receipt-{p.booking_id}", authorize=_authorize_receipt,
                    summary="A receipt for one of my bookings (as its user or its chef)"))
register(ExportKind("my_bookings", Period, _render_my_bookings, PDF, "pdf", _period_name("bookings"),
                    summary="My bookings dated in a period, with totals"))
register(ExportKind("chef_monthly_statement", StatementParams, _render_statement, PDF, "pdf",
                    lambda owner, p: f"statement-{p.month}-{owner.name}", roles=(Role.CHEF.value,),
                    authorize=_authorize_statement, summary="A chef's bookings and revenue of one month"))
register(ExportKind("admin_kpi_report", KpiPeriod, _render_kpis, PDF, "pdf", _period_name("kpi-report"),
                    roles=(Role.ADMIN.value,), summary="Platform KPIs for a period, with charts"))
