"""Subscription products: a name, a price per interval and a feature list."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, CheckConstraint, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.models import created_at_column
from backend.extensions import db


class Product(db.Model):
    """A subscription product."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    price: Mapped[float] = mapped_column(Numeric(10, 2, asdecimal=False), nullable=False)
    interval: Mapped[str] = mapped_column(String(10), nullable=False)
    features: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = created_at_column()

    __table_args__ = (
        CheckConstraint("interval IN ('month', 'year')", name="interval_valid"),
        Index("ix_products_active_price", "is_active", "price", "id"),
    )
