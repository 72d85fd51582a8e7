"""Meari: sessions that build a companion persona and cards for a user's concern, in a background job."""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("meari", __name__)

from backend.meari import routes, tasks  # noqa: E402,F401  (registers the views and the job handler)
from backend.meari.cache import init_cache  # noqa: E402
from backend.meari.seed import seed_meari  # noqa: E402

domain = Domain("meari", bp, "/meari", seed=seed_meari, seed_order=40, init_app=init_cache)
