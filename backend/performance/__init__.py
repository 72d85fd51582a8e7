"""Performance views for operators (admin only): per-endpoint figures and bottlenecks with their evidence.

Read from the Prometheus multiprocess files every process of the host writes (observability.readout)
and from the DB insight (slow statements with plans, per-endpoint statement counts, pool waits).
"""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("performance", __name__)

from backend.performance import routes  # noqa: E402,F401  (registers the views on bp)

domain = Domain("performance", bp, "/admin/performance")
