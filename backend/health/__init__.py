"""Health checks for load balancers and readiness probes."""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("health", __name__)

from backend.health import routes  # noqa: E402,F401  (registers the views on bp)

domain = Domain("health", bp, "/health")
