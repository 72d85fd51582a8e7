"""Auth domain: registration, login with opaque bearer tokens, the current user."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from backend.auth import routes  # noqa: E402,F401  (registers the views on bp)
