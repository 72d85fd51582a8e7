"""Image assets: uploads validated like menu photos, stored on disk or S3, resized variants, CDN purge.

See issue 12 section 4, backend/assets/services.py (visibility, blob sharing), variants.py
(encode once per host), storage.py (local / S3) and cdn.py (Cloudflare purge).
"""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("assets", __name__)

from backend.assets import routes  # noqa: E402,F401  (registers the views)
from backend.assets.seed import seed_assets  # noqa: E402

domain = Domain("assets", bp, "/assets", seed=seed_assets, seed_order=25)  # after coocook's chefs
