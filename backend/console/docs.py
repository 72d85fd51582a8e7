"""GET /api/v1/docs: Swagger UI (5.x, OpenAPI 3.1) over /api/v1/openapi.json, served from the flask-swagger-ui wheel.

Its CSP allows only our own scripts; Swagger UI sets inline style attributes and data: images,
hence `style-src 'self' 'unsafe-inline'` and `img-src 'self' data:` (scripts stay 'self' only).
"""

from __future__ import annotations

import os

import flask_swagger_ui
from flask import Response, render_template, send_from_directory, url_for

from backend.common.api import api_route
from backend.console import bp
from backend.errors import NotFound

DIST = os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist")
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png",
          "favicon-16x16.png"}


@api_route(bp, "", summary="Interactive API docs (Swagger UI over this document; an HTML page)")
def api_docs() -> Response:
    """The interactive documentation page."""
    html = render_template("console/docs.html", spec_url=url_for("openapi.openapi_document"))
    return Response(html, headers={"Content-Security-Policy": DOCS_CSP, "Cache-Control": "public, max-age=300"},
                    mimetype="text/html")


@api_route(bp, "/assets/<name>", summary="A file of the docs page (Swagger UI's scripts and styles)", errors=[404])
def docs_asset(name: str) -> Response:
    """Swagger UI's files (an allow-list: nothing else of the wheel's directory is served)."""
    if name == "init.js":
        response = send_from_directory(os.path.join(os.path.dirname(__file__), "static"), "docs-init.js")
    elif name in ASSETS:
        response = send_from_directory(DIST, name, max_age=86400)
    else:
        raise NotFound("no such file", {"name": name[:100]})
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response
