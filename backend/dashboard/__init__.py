"""Dashboards: what an account sees between visits (its own, a chef's profile, the platform's KPIs).

`GET /api/v1/dashboard` answers every signed-in account (the chef part is added for chefs);
`GET /api/v1/dashboard/admin?from=&to=` answers admins. Bodies are cached per user for 60 s and
invalidated by that user's own writes through domain event hooks (cache.py, hooks.py), so no other
domain calls into this one. Chef-detail views for the conversion KPI are counted in front of the
L1 and flushed in batches (views.py). See docs/operations.md "Dashboards and exports".
"""

from flask import Blueprint, Flask

from backend.common.domain import Domain

bp = Blueprint("dashboard", __name__)

from backend.dashboard import routes  # noqa: E402,F401  (registers the views)
from backend.dashboard.hooks import HOOKS  # noqa: E402
from backend.dashboard.seed import seed_dashboard  # noqa: E402
from backend.dashboard.views import install  # noqa: E402


def init_app(app: Flask) -> None:
    """Count chef-detail views in front of the whole app (the L1 included)."""
    install(app)


domain = Domain("dashboard", bp, "/dashboard", init_app=init_app, hooks=HOOKS, seed=seed_dashboard, seed_order=40)
