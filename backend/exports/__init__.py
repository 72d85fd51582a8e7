"""Exports: files made in the background (PDF receipts, listings, statements, KPI reports), downloaded by their owner.

`POST /api/v1/exports {kind, params}` answers 202 with the export and its job; the job renders the
file into EXPORTS_DIR; `GET /api/v1/exports/<id>` follows it; `/download` serves it to its owner;
a periodic job deletes files EXPORTS_RETENTION_HOURS after they were made. Kinds are a registry
(kinds.py: how another domain adds one, e.g. the NDJSON/CSV log export); the built-in PDF kinds are
in reports.py. Finished exports publish `export_ready` (notifications turn it into a notification)
and `export_changed` (dashboards refresh). See docs/operations.md "Dashboards and exports".
"""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("exports", __name__)

from backend.exports import reports, routes, tasks  # noqa: E402,F401  (registers kinds, views, job handlers)

domain = Domain("exports", bp, "/exports")
