"""Monitoring: alert rules on metrics, alerts (deduplicated, grouped, cooled down, silenced, escalated), incidents.

Admin JSON routes under /api/v1/admin/ (alerts/*, monitoring/*, incidents). Metric values come from
the source registry (registry.py, sources.py); the evaluator (evaluate.py) runs from a periodic
job (tasks.py); messages go to Slack, a webhook or email (channels.py). The request recorder
(recorder.py) adds status classes and latency histograms per endpoint to what the insight keeps.
See docs/operations.md "Alerts, incidents and the operator page".
"""

from flask import Blueprint, Flask

from backend.common.domain import Domain

bp = Blueprint("monitoring", __name__)

from backend.monitoring import routes, sources, tasks  # noqa: E402,F401  (views, metric sources, periodic job)
from backend.monitoring.recorder import init_recorder  # noqa: E402


def init_app(app: Flask) -> None:
    """Per-app state: the request recorder."""
    init_recorder(app)


domain = Domain("monitoring", bp, "/admin", init_app=init_app)
