"""Background jobs: the jobs table, progress events, the Huey queue, the worker and the reaper.

Domains declare handlers in their `tasks.py` (`backend.jobs.registry.job_handler`) and start
work with `backend.jobs.services.enqueue`; clients follow a job on /api/v1/jobs/<id> (poll) or
its `stream_url` (backend/events). See docs/operations.md "Background jobs".
"""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("jobs", __name__)

from backend.jobs import routes, tasks  # noqa: E402,F401  (registers the views and periodic tasks)
from backend.jobs.cli import jobs_cli  # noqa: E402
from backend.jobs.extension import jobs  # noqa: E402

# init_app runs after discovery imported every domain, so every periodic task is declared by then.
domain = Domain("jobs", bp, "", cli=[jobs_cli], init_app=jobs.init_app)
