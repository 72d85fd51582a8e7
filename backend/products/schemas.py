"""Product schemas (documentation of the responses)."""

from __future__ import annotations

from pydantic import BaseModel


class ProductOut(BaseModel):
    """A subscription product."""

    id: int
    name: str
    description: str
    price: float
    interval: str
    features: list[str]


class ProductPage(BaseModel):
    """The list envelope of products."""

    items: list[ProductOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None
