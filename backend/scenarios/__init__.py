"""AI-automation scenarios: a public catalogue, users' AI employees, and runs executed as jobs."""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("scenarios", __name__)

from backend.scenarios import routes, tasks  # noqa: E402,F401  (registers the views and the job handler)
from backend.scenarios.seed import seed_scenarios  # noqa: E402

domain = Domain("scenarios", bp, "", seed=seed_scenarios, seed_order=45)
