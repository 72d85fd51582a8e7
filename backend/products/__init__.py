"""Subscription products."""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("products", __name__)

from backend.products import routes  # noqa: E402,F401  (registers the views on bp)
from backend.products.seed import seed_products  # noqa: E402

domain = Domain("products", bp, "/products", seed=seed_products, seed_order=30)
