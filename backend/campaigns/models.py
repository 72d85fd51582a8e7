"""Review campaigns and the applications to them, with the indexes their queries use.

Invariants held by the database, not by Python:
- approvals never exceed a campaign's slots: `approved_count` (approved + completed applications)
  carries CHECK (approved_count <= slots), and an approval raises it with a conditional UPDATE
  (`... WHERE approved_count < slots`) in the same transaction as the application's own
  conditional status change, so concurrent approvals serialise on the campaign row and the last
  slot goes to exactly one of them (tests/campaigns/test_concurrency.py);
- one application per campaign and user: a unique constraint (a second one is a 409);
- a completed application carries its review URL: a CHECK.
`applications_count` and the open-campaign total (`campaign_counters`) are kept exact in the
transactions that change them (services), so the public list never counts rows per request.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.models import created_at_column, one_of, utcnow
from backend.extensions import db


class CampaignStatus(StrEnum):
    """draft (only its owner sees it) -> open (listed, accepting applications) -> closed."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class ApplicationStatus(StrEnum):
    """pending -> approved -> completed (review URL submitted); pending -> rejected."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    COMPLETED = "completed"


class Campaign(db.Model):
    """A brand's call for reviewers of a product: `slots` reviewers get `reward` each."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    brand: Mapped[str] = mapped_column(String(80), nullable=False)
    product: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    reward: Mapped[int] = mapped_column(Integer, nullable=False)  # whole currency units per reviewer
    slots: Mapped[int] = mapped_column(Integer, nullable=False)
    approved_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    applications_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    deadline: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)  # UTC, applications until then
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=CampaignStatus.DRAFT.value)
    # An image asset of the owner's account (backend/assets/references.py); cleared when it is deleted.
    image_asset_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("assets.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(one_of("status", CampaignStatus), name="status_valid"),
        CheckConstraint("reward >= 0", name="reward_non_negative"),
        CheckConstraint("slots >= 1", name="slots_positive"),
        CheckConstraint("approved_count >= 0 AND approved_count <= slots", name="approvals_within_slots"),
        CheckConstraint("applications_count >= 0", name="applications_non_negative"),
        # The public list: open campaigns by each sort, keyset on (sort column, id); each also serves
        # the range filters on its own column (deadline before/after, reward min/max).
        Index("ix_campaigns_status_deadline", "status", "deadline", "id"),
        Index("ix_campaigns_status_reward", "status", "reward", "id"),
        Index("ix_campaigns_status_created", "status", "created_at", "id"),
        # Case-insensitive brand filter under each sort (a popular brand has thousands of open
        # campaigns: without its sort in the index a page sorted them all, 26 ms instead of 5).
        Index("ix_campaigns_brand_lower", func.lower(text("brand")), "status", "deadline", "id"),
        Index("ix_campaigns_brand_reward", func.lower(text("brand")), "status", "reward", "id"),
        Index("ix_campaigns_brand_created", func.lower(text("brand")), "status", "created_at", "id"),
        # An owner's campaigns, newest first.
        Index("ix_campaigns_owner_id_id", "owner_id", "id"),
        Index("ix_campaigns_image_asset_id", "image_asset_id"),  # the FK's SET NULL on asset delete
    )


class CampaignApplication(db.Model):
    """A user's application to review a campaign's product."""

    __tablename__ = "campaign_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=ApplicationStatus.PENDING.value)
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    review_url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[dt.datetime] = created_at_column()
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(one_of("status", ApplicationStatus), name="status_valid"),
        CheckConstraint("status <> 'completed' OR review_url IS NOT NULL", name="completed_has_review"),
        UniqueConstraint("campaign_id", "user_id", name="uq_campaign_applications_campaign_user"),
        # A campaign's applications for its owner, newest first, optionally by status.
        Index("ix_campaign_applications_campaign_id_id", "campaign_id", "id"),
        Index("ix_campaign_applications_campaign_status", "campaign_id", "status", "id"),
        # My applications, newest first.
        Index("ix_campaign_applications_user_id_id", "user_id", "id"),
    )


class CampaignCounter(db.Model):
    """Maintained totals (one row, id 1): `open_count` = campaigns with status open.

    The unfiltered public list's `total` reads it in the page statement instead of counting tens of
    thousands of index entries per request. Every write that moves a campaign into or out of `open`
    (services.manage, the expiry job, the seed) adjusts it in the same transaction with an upsert,
    so a missing row (after the tests' wipe) reads and restarts as 0.
    """

    __tablename__ = "campaign_counters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    open_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),
                      CheckConstraint("open_count >= 0", name="open_non_negative"))
