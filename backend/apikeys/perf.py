"""API keys' part of the performance tools (scripts.perf_spec): the owner's key list.

Imported only by the tools, never by the app. The X-API-Key authentication cost is measured
separately (docs/performance.md "API keys and SNS automation"): profiler endpoints send the
bearer token only.
"""

from __future__ import annotations

from scripts.perf_spec import Endpoint, fixed

PROFILE = [
    Endpoint("api_keys", "GET", "/api-keys", 40, fixed("/api-keys"), auth=True, is_list=True),
]
