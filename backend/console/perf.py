"""The API docs page's part of the performance tools: the page and one of its files; tools only.

The operator page (/admin/) is a signed-in HTML page outside the OpenAPI document, not profiled.
"""

from __future__ import annotations

from scripts.perf_spec import Endpoint, fixed

PROFILE_ORDER = 11  # beside /openapi.json, which the page loads
PROFILE = [
    Endpoint("api_docs", "GET", "/docs", 30, fixed("/docs")),
    # Swagger UI's stylesheet (~150 kB, sent compressed) as a stand-in for the page's static files.
    Endpoint("api_docs_asset", "GET", "/docs/assets/{name}", 30, fixed("/docs/assets/swagger-ui.css")),
]
