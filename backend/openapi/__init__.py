"""The OpenAPI 3 document, generated from the pydantic schemas `api_route` validates with."""

from flask import Blueprint

from backend.common.domain import Domain

bp = Blueprint("openapi", __name__)

from backend.openapi import routes  # noqa: E402,F401  (registers the views on bp)

domain = Domain("openapi", bp, "")
