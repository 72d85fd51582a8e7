"""Campaign request/response schemas: they validate input and document the OpenAPI contract.

Times a client sends may carry a zone; they are stored and compared as naive UTC (house rule,
backend.common.models.utcnow), so an aware value is converted and a naive one is taken as UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from backend.campaigns.models import ApplicationStatus, CampaignStatus
from backend.common.pagination import PageQuery
from backend.common.validation import BodySchema, PatchSchema

SortName = Literal["deadline", "-deadline", "reward", "-reward", "newest"]
REWARD_MAX = 100_000_000  # an int4 column; no campaign pays a reviewer more than this
SLOTS_MAX = 10_000
# Stored as naive UTC; year 1 and 9999 would overflow when the client's zone is applied.
TIME_MIN, TIME_MAX = dt.datetime(1970, 1, 1), dt.datetime(9000, 1, 1)


def utc_naive(value: dt.datetime | None) -> dt.datetime | None:
    """An aware time in naive UTC; a naive one as is (taken as UTC); bounded to TIME_MIN..TIME_MAX."""
    if value is None:
        return None
    if value.tzinfo is not None:
        try:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 is before year 1 in UTC
            raise ValueError(f"must be between {TIME_MIN.date()} and {TIME_MAX.date()}") from None
    if not TIME_MIN <= value <= TIME_MAX:
        raise ValueError(f"must be between {TIME_MIN.date()} and {TIME_MAX.date()}")
    return value


class CampaignListQuery(PageQuery):
    """Filters and sort for the public list of open campaigns."""

    brand: str | None = Field(None, min_length=1, max_length=80)
    min_reward: int | None = Field(None, ge=0, le=REWARD_MAX)
    max_reward: int | None = Field(None, ge=0, le=REWARD_MAX)
    deadline_after: dt.datetime | None = None
    deadline_before: dt.datetime | None = None
    sort: SortName = "deadline"

    @field_validator("deadline_after", "deadline_before")
    @classmethod
    def _utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        return utc_naive(value)


class CampaignIn(BodySchema):
    """A new campaign; it starts as a draft unless `status` says open."""

    title: str = Field(min_length=1, max_length=200)
    brand: str = Field(min_length=1, max_length=80)
    product: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    reward: int = Field(ge=0, le=REWARD_MAX)
    slots: int = Field(ge=1, le=SLOTS_MAX)
    deadline: dt.datetime
    status: Literal["draft", "open"] = "draft"
    image_asset_id: UUID | None = Field(None, description="an image asset of the owner's account (POST /assets)")

    @field_validator("deadline")
    @classmethod
    def _utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        return utc_naive(value)


class CampaignUpdateIn(PatchSchema):
    """Fields the owner may change; each may be omitted, none may be null. `status` moves it on."""

    title: str | None = Field(None, min_length=1, max_length=200)
    brand: str | None = Field(None, min_length=1, max_length=80)
    product: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    reward: int | None = Field(None, ge=0, le=REWARD_MAX)
    slots: int | None = Field(None, ge=1, le=SLOTS_MAX)
    deadline: dt.datetime | None = None
    status: CampaignStatus | None = None
    image_asset_id: UUID | None = Field(None, description="an image asset of the owner's account; null removes it")

    NULLABLE: ClassVar[frozenset[str]] = frozenset({"image_asset_id"})

    @field_validator("deadline")
    @classmethod
    def _utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        return utc_naive(value)


class CampaignOut(BaseModel):
    """A campaign in the public list."""

    id: int
    title: str
    brand: str
    product: str
    reward: int
    slots: int
    approved_count: int
    deadline: dt.datetime
    status: CampaignStatus
    created_at: dt.datetime
    image_asset_id: str | None
    image_url: str | None = Field(description="the image's stored bytes; /optimized?w=&format= for variants")


class CampaignDetailOut(CampaignOut):
    """A campaign's page."""

    description: str
    applications_count: int
    owner_id: int
    owner_name: str
    updated_at: dt.datetime


class CampaignPage(BaseModel):
    """The list envelope of campaigns."""

    items: list[CampaignOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None


class MineQuery(PageQuery):
    """My campaigns (any status), newest first."""

    status: CampaignStatus | None = None


class MyCampaignPage(BaseModel):
    """The list envelope of my campaigns (drafts included)."""

    items: list[CampaignDetailOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None


class ApplyIn(BodySchema):
    """An application: a short note to the campaign's owner."""

    message: str = Field("", max_length=2000)


class CompleteIn(BodySchema):
    """The review's public URL (http/https, a public host)."""

    review_url: str = Field(min_length=1, max_length=2048)


class ApplicationQuery(PageQuery):
    """Applications by status, newest first."""

    status: ApplicationStatus | None = None


class ApplicationOut(BaseModel):
    """An application, as its applicant and the campaign's owner see it."""

    id: int
    campaign_id: int
    campaign_title: str
    user_id: int
    user_name: str
    status: ApplicationStatus
    message: str
    review_url: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ApplicationPage(BaseModel):
    """The list envelope of applications."""

    items: list[ApplicationOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None
