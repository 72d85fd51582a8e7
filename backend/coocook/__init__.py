"""CooCook: the chef-booking marketplace (chefs, bookings, reviews)."""

from flask import Blueprint

bp = Blueprint("coocook", __name__)

from backend.coocook import routes  # noqa: E402,F401  (registers the views on bp)
