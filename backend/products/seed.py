"""Seed data of the products domain: the subscription catalogue."""

from __future__ import annotations

from typing import Any

from backend.products.models import Product

PRODUCTS = [
    ("CooCook Basic", "Book chefs with no booking fee", 9.99, "month", ["no booking fee", "email support"]),
    ("CooCook Plus", "Priority booking and menu planning", 19.99, "month",
     ["no booking fee", "priority booking", "menu planning"]),
    ("CooCook Pro", "For households that host often", 199.0, "year",
     ["no booking fee", "priority booking", "menu planning", "dedicated concierge"]),
]


def seed_products(ctx: Any) -> tuple[str, ...]:
    """The three CooCook subscription products."""
    ctx.insert(Product, ({"name": n, "description": d, "price": p, "interval": i, "features": f, "is_active": True,
                          "created_at": ctx.now} for n, d, p, i, f in PRODUCTS))
    return ("products",)
