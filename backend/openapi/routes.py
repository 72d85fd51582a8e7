"""GET /api/v1/openapi.json."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from flask import Flask, current_app

from backend.caching.view import public_response
from backend.common.api import api_route
from backend.common.json import dumps_bytes
from backend.openapi import bp
from backend.openapi.services import build_document


@api_route(bp, "/openapi.json", summary="This document")
def openapi_document():
    body, etag = _document(current_app._get_current_object())
    return public_response(body, etag, 300)


@lru_cache(maxsize=8)  # per app (tests build many): the document only changes with the code
def _document(app: Flask) -> tuple[bytes, str]:
    body = dumps_bytes(build_document(app))
    return body, hashlib.blake2b(body, digest_size=12).hexdigest()
