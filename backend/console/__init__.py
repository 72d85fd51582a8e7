"""The operator page at /admin/ (server-rendered, session sign-in) and interactive API docs at /api/v1/docs.

Both are HTML for people, not API operations: no build step, no CDN. The page's templates and
static files ship in this package; Swagger UI's files come from the flask-swagger-ui wheel.
Each page sends its own strict Content-Security-Policy (common.http only fills in the API's
`frame-ancestors 'none'` where a response has none). See docs/operations.md
"Alerts, incidents and the operator page".
"""

from flask import Blueprint, Flask

from backend.common.domain import Domain

bp = Blueprint("apidocs", __name__)  # mounted at /api/v1/docs
page = Blueprint("operator", __name__, template_folder="templates", static_folder="static",
                 static_url_path="/static")  # mounted at /admin

from backend.console import docs, views  # noqa: E402,F401  (registers the views)


def init_app(app: Flask) -> None:
    """Mount the operator page at /admin (outside /api/v1: it is a page, not an API)."""
    app.register_blueprint(page, url_prefix="/admin")


domain = Domain("console", bp, "/docs", init_app=init_app)
