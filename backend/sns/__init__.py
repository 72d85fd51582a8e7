"""SNS automation: accounts (credential encrypted at rest), scheduled posts, a periodic publisher.

Users connect accounts and schedule posts; a periodic job publishes due posts through the webhook
publisher (publisher.py) with retries, claiming each post atomically so two workers never publish
one twice (tasks.py). See docs/operations.md "SNS automation".
"""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("sns", __name__)

from backend.sns import routes, tasks  # noqa: E402,F401  (registers the views and the periodic publisher)
from backend.sns.seed import seed_sns  # noqa: E402

domain = Domain("sns", bp, "/sns", seed=seed_sns, seed_order=60)
