"""GET /api/v1/openapi.json."""

from __future__ import annotations

from flask import current_app

from backend.common.api import api_route
from backend.common.cache import public_response
from backend.common.json import dumps_bytes
from backend.openapi import bp
from backend.openapi.services import build_document


@api_route(bp, "/openapi.json", summary="This document")
def openapi_document():
    cached = current_app.extensions.get("sf_openapi")
    if cached is None:  # built once per process: the document only changes with the code
        import hashlib

        body = dumps_bytes(build_document(current_app))
        cached = current_app.extensions["sf_openapi"] = (hashlib.blake2b(body, digest_size=12).hexdigest(), body)
    return public_response(cached[1], cached[0], 300)
