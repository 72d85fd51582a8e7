"""Health's part of the performance tools: profiled endpoints (see scripts.perf_spec); tools only."""

from __future__ import annotations

from scripts.perf_spec import Endpoint, fixed

# First: "health" is the profiler's latency reference (every endpoint's ratio_to_health); reading
# the table starts from the cheapest call.
PROFILE_ORDER = 0
PROFILE = [
    Endpoint("health", "GET", "/health", 20, fixed("/health")),
    Endpoint("health_live", "GET", "/health/live", 20, fixed("/health/live")),
    Endpoint("health_ready", "GET", "/health/ready", 30, fixed("/health/ready")),
]
