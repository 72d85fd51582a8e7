"""Response models of the performance views (they are the OpenAPI document)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


class EndpointOut(BaseModel):
    """One (method, URL rule): latency percentiles from the histogram, throughput, errors, DB share."""

    method: str
    route: str
    requests: int
    throughput_rps: float | None  # since the metrics began (`since`)
    mean_ms: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    status: dict[str, int]  # 2xx, 3xx, 4xx, 5xx
    error_rate: float  # 5xx share
    client_error_rate: float  # 4xx share
    db_statements_per_request: float
    db_ms_per_request: float
    db_share: float  # DB time over request time


class CacheLayerOut(BaseModel):
    """One cache layer (l1: in front of Flask; view: Flask-Caching)."""

    layer: str
    hits: int
    misses: int
    hit_rate: float | None
    not_modified: int


class ProviderOut(BaseModel):
    """One outbound provider."""

    provider: str
    calls: int
    outcomes: dict[str, int]
    error_rate: float | None
    retries: int
    p95_ms: float | None
    breaker: str


class JobKindOut(BaseModel):
    """One job kind."""

    kind: str
    outcomes: dict[str, int]
    failure_rate: float
    mean_ms: float | None
    p95_ms: float | None


class TotalsOut(BaseModel):
    """The host's totals."""

    requests: int
    errors_5xx: int
    error_rate: float
    throughput_rps: float | None
    rate_limited: dict[str, int]


class PoolOut(BaseModel):
    """Pool checkouts and waits (every worker), from the DB insight."""

    checkouts: int
    waits: int
    timeouts: int
    wait_ms_mean: float | None
    wait_ms_max: float


class MetricsOut(BaseModel):
    """Everything since `since` (epoch seconds: the metrics directory's start), every process merged."""

    since: float | None
    uptime_s: float
    totals: TotalsOut
    endpoints: list[EndpointOut]
    caches: list[CacheLayerOut]
    providers: list[ProviderOut]
    jobs: list[JobKindOut]
    pool: PoolOut


class FindingOut(BaseModel):
    """One bottleneck: what, where, how bad, and the figures that show it."""

    kind: Literal["slow_endpoint", "full_scan", "n_plus_one", "pool_waits", "provider_failing", "provider_slow",
                  "job_failing"]
    severity: Literal["info", "warning", "critical"]
    subject: str
    message: str
    evidence: dict[str, Any]


class BottlenecksOut(BaseModel):
    """Findings, worst first, and the thresholds they were judged by."""

    generated_at: float
    findings: list[FindingOut]
    thresholds: dict[str, float]
