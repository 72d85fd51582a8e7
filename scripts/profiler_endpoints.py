"""The profiler's declared endpoint list: every public GET and the main authenticated calls.

Each Endpoint names the OpenAPI route it covers (the profiler reports public GETs it misses), a
p95 budget in ms, and a builder that returns (path, JSON body) for sample i, so rotating
endpoints (chef detail, filters) spread over many ids and measure uncached work. Add an endpoint
here when the API grows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from perf_common import SlotPicker


@dataclass
class Context:
    """What the request builders need: ids discovered from the API, a token, a slot picker."""

    chef_ids: list[int] = field(default_factory=list)
    product_ids: list[int] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)
    deep_cursor: str | None = None
    token: str | None = None
    email: str = ""
    password: str = ""
    slots: SlotPicker | None = None
    booking_ids: list[int] = field(default_factory=list)
    data: dict = field(default_factory=dict)


Build = Callable[[Context, int], tuple[str, dict | None]]


@dataclass(frozen=True)
class Endpoint:
    """One profiled call: `build(ctx, i)` returns (path under /api/v1, JSON body or None)."""

    name: str
    method: str
    route: str  # the OpenAPI path template it covers
    budget_ms: float  # p95 above this is flagged
    build: Build
    auth: bool = False
    is_list: bool = False  # gets the per_page=1 vs per_page=100 N+1 probe
    expect: int = 200
    max_samples: int | None = None
    capture: Callable[[Context, dict], None] | None = None
    uncached: bool = False  # measured on the server started with CACHE_TYPE=NullCache


def fixed(path: str) -> Build:
    """A builder for a constant path."""
    return lambda ctx, i: (path, None)


def _remember_booking(ctx: Context, body: dict) -> None:
    ctx.booking_ids.append(body["id"])


# Order matters: bookings are created before they are listed, so the list is full and stable.
ENDPOINTS = [
    Endpoint("health", "GET", "/health", 20, fixed("/health")),
    Endpoint("health_ready", "GET", "/health/ready", 30, fixed("/health/ready")),
    Endpoint("openapi", "GET", "/openapi.json", 50, fixed("/openapi.json")),
    Endpoint("products", "GET", "/products", 30, fixed("/products"), is_list=True),
    Endpoint("product_detail", "GET", "/products/{product_id}", 30,
             lambda ctx, i: (f"/products/{ctx.product_ids[i % len(ctx.product_ids)]}", None)),
    Endpoint("chefs", "GET", "/coocook/chefs", 50, fixed("/coocook/chefs"), is_list=True),
    Endpoint("chefs_filtered", "GET", "/coocook/chefs", 100,
             lambda ctx, i: (f"/coocook/chefs?{ctx.filters[i % len(ctx.filters)]}", None), is_list=True),
    # Measured on the uncached server (the documented switch, CACHE_TYPE=NullCache; cache keys come
    # from the validated query, so junk parameters no longer defeat the cache): the handler and its
    # queries, page 1 against deep in a cursor walk, and a chef page.
    Endpoint("chefs_uncached", "GET", "/coocook/chefs", 60, fixed("/coocook/chefs"), uncached=True),
    Endpoint("chefs_deep_cursor", "GET", "/coocook/chefs", 100,
             lambda ctx, i: (f"/coocook/chefs?{urlencode({'cursor': ctx.deep_cursor or ''})}", None), uncached=True),
    Endpoint("chef_detail", "GET", "/coocook/chefs/{chef_id}", 60,
             lambda ctx, i: (f"/coocook/chefs/{ctx.chef_ids[i % len(ctx.chef_ids)]}", None), uncached=True),
    # The same chef every time: the cached path.
    Endpoint("chef_detail_hot", "GET", "/coocook/chefs/{chef_id}", 30,
             lambda ctx, i: (f"/coocook/chefs/{ctx.chef_ids[0]}", None)),
    # Argon2id is slow on purpose: a few samples say enough.
    Endpoint("login", "POST", "/auth/login", 500,
             lambda ctx, i: ("/auth/login", {"email": ctx.email, "password": ctx.password}), max_samples=10),
    Endpoint("me", "GET", "/auth/me", 40, fixed("/auth/me"), auth=True),
    Endpoint("create_booking", "POST", "/coocook/bookings", 100,
             lambda ctx, i: ("/coocook/bookings", ctx.slots.next()), auth=True, expect=201,
             capture=_remember_booking),
    Endpoint("my_bookings", "GET", "/coocook/bookings", 60, fixed("/coocook/bookings"), auth=True, is_list=True),
    Endpoint("booking_detail", "GET", "/coocook/bookings/{booking_id}", 40,
             lambda ctx, i: (f"/coocook/bookings/{ctx.booking_ids[i % len(ctx.booking_ids)]}", None), auth=True),
]


def select_endpoints(only: str | None) -> list[Endpoint]:
    """ENDPOINTS, or the comma-separated subset named by --only (unknown names are an error)."""
    if not only:
        return list(ENDPOINTS)
    names = [n.strip() for n in only.split(",") if n.strip()]
    known = {e.name for e in ENDPOINTS}
    unknown = sorted(set(names) - known)
    if unknown:
        raise RuntimeError(f"unknown endpoint(s) {unknown}; known: {sorted(known)}")
    return [e for e in ENDPOINTS if e.name in names]
