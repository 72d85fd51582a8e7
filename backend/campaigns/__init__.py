"""Review campaigns: brands call for reviewers, users apply once, owners approve within the slots."""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("campaigns", __name__)

from backend.campaigns import routes, tasks  # noqa: E402,F401  (registers the views and the periodic job)
from backend.campaigns.seed import seed_campaigns  # noqa: E402
from backend.campaigns.services.manage import forget_images  # noqa: E402

domain = Domain("campaigns", bp, "/campaigns", seed=seed_campaigns, seed_order=50,
                hooks={"on_asset_deleted": forget_images})
