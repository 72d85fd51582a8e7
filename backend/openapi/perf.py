"""The OpenAPI document's part of the performance tools: its profiled endpoint; tools only."""

from __future__ import annotations

from scripts.perf_spec import Endpoint, fixed

PROFILE_ORDER = 10  # right after health: the platform endpoints, then the domains
PROFILE = [Endpoint("openapi", "GET", "/openapi.json", 50, fixed("/openapi.json"))]
