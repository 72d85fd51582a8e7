"""Admin: in-app database insight (slow queries, performance figures, ANALYZE with index hints)."""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("admin", __name__)

from backend.admin import routes  # noqa: E402,F401  (registers the views on bp)

domain = Domain("admin", bp, "/admin")
