"""CooCook: the chef-booking marketplace (chefs, bookings, reviews)."""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("coocook", __name__)

from backend.coocook import routes  # noqa: E402,F401  (registers the views on bp)
from backend.coocook.seed import seed_coocook  # noqa: E402
from backend.coocook.services.chefs import forget_avatar  # noqa: E402
from backend.coocook.services.profiles import actor_chef_id, create_chef_profile  # noqa: E402

domain = Domain("coocook", bp, "/coocook", seed=seed_coocook, seed_order=20,
                hooks={"user_created": create_chef_profile, "actor_profile": actor_chef_id,
                       "on_asset_deleted": forget_avatar})
