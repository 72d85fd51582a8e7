"""Link analyzer: fetch a user's link safely, extract its metadata and media, analyse them with Gemini.

Cached per URL (metadata and AI separately), queued as `links.analyze` jobs, media batched and
deduplicated by content hash, every model call costed. See issue 11 and backend/links/settings.py.
"""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("links", __name__)

from backend.links import routes, tasks  # noqa: E402,F401  (registers the views and the job handler)
from backend.links.live import init_events_app  # noqa: E402

domain = Domain("links", bp, "", hooks={"events_app": init_events_app})
