"""CooCook request/response schemas: they validate input and document the OpenAPI contract."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from backend.common.pagination import PageQuery
from backend.common.validation import BodySchema, DbInt, PatchSchema
from backend.coocook.models import BookingStatus, Slot

SortName = Literal["rating", "-rating", "price", "-price", "newest"]


class ChefListQuery(PageQuery):
    """Filters and sort for the chef list."""

    cuisine: str | None = Field(None, max_length=60)
    location: str | None = Field(None, max_length=120)
    min_rating: float | None = Field(None, ge=0, le=5)
    max_price: float | None = Field(None, ge=0)
    sort: SortName = "-rating"


class ChefUpdateIn(PatchSchema):
    """Fields a chef (or an admin) may change on a profile; each may be omitted, none may be null."""

    name: str | None = Field(None, min_length=1, max_length=120)
    bio: str | None = Field(None, max_length=5000)
    cuisine_type: str | None = Field(None, min_length=1, max_length=60)
    location: str | None = Field(None, min_length=1, max_length=120)
    price_per_session: float | None = Field(None, ge=0, le=100_000)
    is_active: bool | None = None
    avatar_asset_id: UUID | None = None  # an image asset of the chef's account; null removes the avatar

    NULLABLE: ClassVar[frozenset[str]] = frozenset({"avatar_asset_id"})


class BookingIn(BodySchema):
    """A booking request."""

    chef_id: DbInt
    date: dt.date
    slot: Slot
    guests: int = Field(ge=1, le=50)


class BookingListQuery(PageQuery):
    """Filters for my bookings."""

    status: BookingStatus | None = None


class ReviewIn(BodySchema):
    """A review of a completed booking."""

    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=2000)


class ChefOut(BaseModel):
    """A chef in a list."""

    id: int
    name: str
    cuisine_type: str
    location: str
    price_per_session: float
    rating: float
    rating_count: int
    booking_count: int
    avatar_asset_id: str | None = None
    avatar_url: str | None = None


class ReviewSummary(BaseModel):
    """A review as shown on a chef page."""

    id: int
    rating: int
    comment: str
    created_at: dt.datetime
    reviewer_name: str


class ChefDetailOut(ChefOut):
    """A chef with its latest reviews."""

    bio: str
    created_at: dt.datetime
    latest_reviews: list[ReviewSummary]


class ChefPage(BaseModel):
    """The list envelope of chefs."""

    items: list[ChefOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None


class BookingOut(BaseModel):
    """A booking."""

    id: int
    chef_id: int
    chef_name: str
    user_id: int
    user_name: str
    date: dt.date
    slot: Slot
    guests: int
    status: BookingStatus
    price: float
    created_at: dt.datetime
    updated_at: dt.datetime


class BookingPage(BaseModel):
    """The list envelope of bookings."""

    items: list[BookingOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None


class ReviewOut(BaseModel):
    """A created review."""

    id: int
    booking_id: int
    chef_id: int
    user_id: int
    rating: int
    comment: str
    created_at: dt.datetime


