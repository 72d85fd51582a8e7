"""Menu translation: identify Korean dishes, translate text, shops' scans with an approval queue, admin stats.

- identify (identify.py): exact match, modifier decomposition (catalog.py), AI discovery (ai.py,
  single-flight across workers: flight.py), cached per normalised name (results.py); calls logged
  in batches (scanlog.py).
- translate (papago.py): Papago NMT on the outbound client, cached per (source, target, text).
- shops and scans (shops.py), admin stats in one statement (stats.py), seed data (seed.py, data/).
See issue 8, docs/operations.md "Menu" and docs/performance.md "Menu".
"""

from flask import Blueprint, Flask

from backend.common.domain import Domain

bp = Blueprint("menu", __name__)

from backend.menu import routes, tasks  # noqa: E402,F401  (registers the views and the job handler)
from backend.menu.papago import init_translations  # noqa: E402
from backend.menu.results import init_results  # noqa: E402
from backend.menu.scanlog import init_scanlog  # noqa: E402
from backend.menu.seed import seed_menu  # noqa: E402


def init_menu(app: Flask) -> None:
    """Per-app state: the identify result cache, the scan-log buffer, the translation cache."""
    init_results(app)
    init_scanlog(app)
    init_translations(app)


domain = Domain("menu", bp, "", seed=seed_menu, seed_order=60, init_app=init_menu)
