"""Subscription products."""

from flask import Blueprint

bp = Blueprint("products", __name__)

from backend.products import routes  # noqa: E402,F401  (registers the views on bp)
