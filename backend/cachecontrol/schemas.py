"""Request and response schemas of the cache control admin API."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from backend.common.validation import BodySchema


class LayerOut(BaseModel):
    """One cache layer: counts since the live workers started, sizes now."""

    hits: int
    misses: int
    hit_rate: float | None
    entries: int | None = Field(description="null when not known per process (Redis view cache)")
    bytes: int | None
    get_latency_us: float | None = Field(description="mean time of a get (lookup and generation check)")
    shared: bool | None = None


class LayersOut(BaseModel):
    """The three layers a public GET can be answered from."""

    l1: LayerOut
    view: LayerOut
    compressed: LayerOut


class TopKey(BaseModel):
    """A public cached URL and how many requests asked for it."""

    key: str
    requests: int


class CacheControlStatsOut(BaseModel):
    """Every live worker's counters merged."""

    workers: int
    since: float = Field(description="Unix time the oldest counted worker started")
    backend: str
    layers: LayersOut
    top_keys: list[TopKey]


class InvalidateIn(BodySchema):
    """Exactly one of: a namespace (e.g. `chefs`, `chef:12`, `products`) or a cached URL."""

    namespace: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    key: str | None = Field(None, min_length=1, max_length=500, pattern=r"^/",
                            description="a cached URL path, e.g. /api/v1/coocook/chefs/12")

    @model_validator(mode="after")
    def _exactly_one(self) -> InvalidateIn:
        if (self.namespace is None) == (self.key is None):
            raise ValueError("give exactly one of namespace or key")
        return self


class InvalidateOut(BaseModel):
    """What was bumped and how far that reaches."""

    namespaces: list[str]
    scope: str


class WarmupIn(BodySchema):
    """How many of the most requested public URLs to build."""

    top: int | None = Field(None, ge=1, le=1000, description="default CACHE_WARMUP_TOP (100)")
