"""Product catalogue reads (few rows, cached as public responses)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from backend.common.pagination import envelope
from backend.errors import NotFound
from backend.extensions import db
from backend.products.models import Product

COLUMNS = (Product.id, Product.name, Product.description, Product.price, Product.interval, Product.features)


def product_item(row: Any) -> dict:
    """A product row as the API shows it."""
    return {"id": row.id, "name": row.name, "description": row.description, "price": row.price,
            "interval": row.interval, "features": row.features}


def list_products(page: int = 1, per_page: int = 20) -> dict:
    """Active products, cheapest first."""
    condition = Product.is_active.is_(True)
    rows = db.session.execute(select(*COLUMNS).where(condition).order_by(Product.price, Product.id)
                              .offset((page - 1) * per_page).limit(per_page)).all()
    total = db.session.execute(select(func.count()).select_from(Product).where(condition)).scalar_one()
    return envelope([product_item(r) for r in rows], page, per_page, total, None)


def get_product(product_id: int) -> dict:
    """One active product, or 404."""
    row = db.session.execute(select(*COLUMNS).where(Product.id == product_id, Product.is_active.is_(True))).first()
    if row is None:
        raise NotFound("product not found", code="product_not_found")
    return product_item(row)
