"""Assets request/response schemas (the upload itself is multipart: see routes.upload_asset)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from backend.common.pagination import PageQuery
from backend.common.validation import QuerySchema

MIN_WIDTH, MAX_WIDTH = 16, 4096
MIN_QUALITY, MAX_QUALITY, DEFAULT_QUALITY = 30, 95, 80


class OptimizedQuery(QuerySchema):
    """A variant: width in pixels (never upscaled; default the original's), format and quality."""

    w: int | None = Field(None, ge=MIN_WIDTH, le=MAX_WIDTH)
    format: Literal["webp", "jpeg"] = "webp"
    q: int = Field(DEFAULT_QUALITY, ge=MIN_QUALITY, le=MAX_QUALITY)


class AssetOut(BaseModel):
    """An asset's metadata and where its bytes are."""

    id: str
    format: str
    width: int
    height: int
    size_bytes: int
    content_hash: str
    filename: str
    created_at: dt.datetime
    url: str  # the stored (clean) image
    optimized_url: str  # add ?w=&format=webp|jpeg&q= for a resized variant


class AssetListQuery(PageQuery):
    """My assets, newest first (offset pages or a keyset cursor)."""


class AssetPage(BaseModel):
    """The list envelope of assets."""

    items: list[AssetOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None
