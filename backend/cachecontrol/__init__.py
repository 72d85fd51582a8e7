"""Cache control (admin only): per-layer stats shared across workers, invalidation, warmup.

- `shared`: each worker's cache counters (backend/caching/stats.py) in a snapshot file under
  INSIGHT_DIR/cache, merged on read (the insight mechanism's files and helpers).
- `services`: GET /api/v1/admin/cache/stats, POST /invalidate (a namespace or a URL's namespaces:
  generation bumps every worker, and with Redis every host, sees at once), POST /warmup (a job).
- `tasks`: the warmup job: GETs the most requested public URLs so their responses are built.
See docs/operations.md "Cache control".
"""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("cachecontrol", __name__)

from backend.cachecontrol import routes, tasks  # noqa: E402,F401  (registers the views and the warmup job)
from backend.cachecontrol.shared import init_cache_stats  # noqa: E402

domain = Domain("cachecontrol", bp, "/admin/cache", init_app=init_cache_stats)
