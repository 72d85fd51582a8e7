"""Performance HTTP layer (admin role only): call a service, return its dict."""

from __future__ import annotations

from backend.common.api import api_route
from backend.performance import bp, services
from backend.performance.schemas import BottlenecksOut, MetricsOut

ADMIN = ("admin",)


@api_route(bp, "/metrics", summary="Per-endpoint latency percentiles, throughput, error rate and DB share; caches, "
           "providers, jobs (every process of the host merged)", response=MetricsOut, roles=ADMIN)
def performance_metrics():
    return services.metrics()


@api_route(bp, "/bottlenecks", summary="Slowest endpoints, full scans and N+1 patterns, pool waits, slow or failing "
           "providers, failing jobs: each finding with its evidence", response=BottlenecksOut, roles=ADMIN)
def bottlenecks():
    return services.bottlenecks()
