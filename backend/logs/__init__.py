"""Logs: JSON lines for every event, masking, request ids, and the queryable log store (admin only).

- `setup`: the structlog renderer behind the stdlib root logger (one JSON object per line).
- `masking`: secrets never, emails in part.
- `middleware`: X-Request-ID in and out and the `request` line, around the whole WSGI stack.
- `gunicorn`: gunicorn's logger class, so its access and error logs are the same JSON.
- `buffer`, `models`: warnings, errors and sampled request lines batched into `log_entries`.
- `routes`/`services`: GET /api/v1/admin/logs/search and /analytics; `tasks`: retention.
- `export`: NDJSON/CSV export kinds (POST /api/v1/admin/logs/export, made by the export job).
See docs/operations.md "Logs".
"""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("logs", __name__)

from backend.logs import export, routes, tasks  # noqa: E402,F401  (the export kinds, the views, the retention job)
from backend.logs.extension import init_logs  # noqa: E402

domain = Domain("logs", bp, "/admin/logs", init_app=init_logs)
