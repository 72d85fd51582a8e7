"""What a domain declares for the performance tools, and how the tools find it.

A domain package under `backend/` may hold a `perf.py` (imported only by the tools, never by the
app) declaring any of:

    PROFILE: list[Endpoint]            calls the profiler measures, in this order
    PROFILE_ORDER: int                 where the domain's PROFILE runs (lower first, default 100;
                                       ties by domain name)
    discover(ctx, get_json)            fills `ctx.state` with what its builders need (ids, cursors)
                                       and `ctx.data` with figures worth reporting
    LOAD_ACTIONS: list[LoadAction]     actions of the Locust scenario; `weight` is the action's
                                       share of the default "realistic" mix
    LOAD_SCENARIOS: dict[str, dict]    named mixes of action names and weights (e.g. "chefs")
    load_setup(state, get_json)        fills the load test's shared state before users start

`get_json(path, token=None)` GETs `/api/v1<path>` and returns the decoded body (a non-200 raises).
The tools find these modules by iterating the packages under `backend/` (pkgutil), the way the app
factory finds domains: adding a domain touches no list here or in the scripts.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

GetJson = Callable[..., dict]
Build = Callable[["Context", int], tuple[str, "dict | None"]]
REALISTIC = "realistic"
DEFAULT_ORDER = 100


@dataclass
class Context:
    """The profiler's run state: the account, its token, and what the domains discovered."""

    email: str = ""
    password: str = ""
    token: str | None = None
    max_cursor_pages: int = 50
    state: dict[str, Any] = field(default_factory=dict)  # domain-private values (ids, cursors, pickers)
    data: dict[str, Any] = field(default_factory=dict)  # figures copied into the report's JSON


@dataclass(frozen=True)
class Endpoint:
    """One profiled call: `build(ctx, i)` returns (path under /api/v1, JSON body or None) for sample i."""

    name: str
    method: str
    route: str  # the OpenAPI path template it covers
    budget_ms: float  # p95 above this is flagged
    build: Build
    auth: bool = False
    is_list: bool = False  # gets the per_page=1 vs per_page=100 N+1 probe
    expect: int = 200
    max_samples: int | None = None
    capture: Callable[[Context, dict], None] | None = None  # sees each expected response body
    prepare: Callable[[Context, GetJson], None] | None = None  # runs once before the endpoint
    uncached: bool = False  # measured on the server started with CACHE_TYPE=NullCache
    compressible: bool = True  # False for bodies that are compressed already (images): no "uncompressed" flag


@dataclass(frozen=True)
class LoadAction:
    """One action of the load scenario: `run(user, state)` sends its request(s) with `user.client`.

    `user` is the Locust user (`user.client` its FastHttpUser client, `user.auth` the bearer header
    of its account), `state` what the domains' `load_setup` filled in.
    """

    name: str
    run: Callable[[Any, dict], None]
    weight: int = 0  # share of the "realistic" mix; 0 keeps it to named scenarios
    auth: bool = False  # needs a signed-in user


def fixed(path: str) -> Build:
    """A builder for a constant path."""
    return lambda ctx, i: (path, None)


def domain_perf_modules(package: str = "backend") -> list[ModuleType]:
    """`<package>.<domain>.perf` of every sub-package that has one, in domain name order."""
    root = importlib.import_module(package)
    found = []
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda i: i.name):
        name = f"{package}.{info.name}.perf"
        if info.ispkg and importlib.util.find_spec(name) is not None:
            found.append(importlib.import_module(name))
    return found


def profile_endpoints(modules: list[ModuleType] | None = None) -> list[Endpoint]:
    """Every domain's PROFILE, domain by domain in PROFILE_ORDER; endpoint names must be unique."""
    ordered = sorted(_modules(modules), key=lambda m: getattr(m, "PROFILE_ORDER", DEFAULT_ORDER))  # stable
    endpoints = [e for m in ordered for e in getattr(m, "PROFILE", ())]
    names = [e.name for e in endpoints]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RuntimeError(f"profiler endpoint names declared twice: {duplicates}")
    return endpoints


def discover(ctx: Context, get_json: GetJson, modules: list[ModuleType] | None = None) -> None:
    """Run every domain's `discover(ctx, get_json)`."""
    for module in _modules(modules):
        if hasattr(module, "discover"):
            module.discover(ctx, get_json)


def load_actions(modules: list[ModuleType] | None = None) -> dict[str, LoadAction]:
    """Every domain's LOAD_ACTIONS by name; names must be unique."""
    actions: dict[str, LoadAction] = {}
    for module in _modules(modules):
        for action in getattr(module, "LOAD_ACTIONS", ()):
            if action.name in actions:
                raise RuntimeError(f"load action {action.name!r} declared twice")
            actions[action.name] = action
    return actions


def load_scenarios(modules: list[ModuleType] | None = None) -> dict[str, dict[str, int]]:
    """"realistic" (every action with a weight) plus each domain's LOAD_SCENARIOS, checked against the actions."""
    modules = _modules(modules)
    actions = load_actions(modules)
    scenarios = {REALISTIC: {a.name: a.weight for a in actions.values() if a.weight > 0}}
    for module in modules:
        for name, weights in getattr(module, "LOAD_SCENARIOS", {}).items():
            unknown = sorted(set(weights) - set(actions))
            if name in scenarios or unknown:
                raise RuntimeError(f"load scenario {name!r}: declared twice or names unknown actions {unknown}")
            scenarios[name] = dict(weights)
    return scenarios


def load_setup(state: dict, get_json: GetJson, modules: list[ModuleType] | None = None) -> None:
    """Run every domain's `load_setup(state, get_json)`."""
    for module in _modules(modules):
        if hasattr(module, "load_setup"):
            module.load_setup(state, get_json)


def _modules(modules: list[ModuleType] | None) -> list[ModuleType]:
    return domain_perf_modules() if modules is None else modules
