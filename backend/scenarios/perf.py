"""Scenarios' part of the performance tools: profiled endpoints and load-test actions (see scripts.perf_spec).

Imported only by the tools, never by the app. Load actions carry no weight in the default
"realistic" mix; the named scenario `scenarios` runs them.
"""

from __future__ import annotations

import random

from backend.common.domain import API_PREFIX
from scripts.perf_spec import Context, Endpoint, GetJson, LoadAction, fixed

PROFILE_ORDER = 70
CATEGORIES = ["content", "marketing", "sales", "customer-support", "finance"]


def discover(ctx: Context, get_json: GetJson) -> None:
    """Scenario ids, through the API."""
    ctx.state["scenario_ids"] = [s["id"] for s in get_json("/scenarios?per_page=100")["items"]]
    if not ctx.state["scenario_ids"]:
        raise RuntimeError("the server has no scenarios: seed it first (make seed)")
    ctx.state["employee_ids"] = []


def _remember(ctx: Context, body: dict) -> None:
    ctx.state["employee_ids"].append(body["id"])


def _new_employee(ctx: Context, i: int) -> tuple[str, dict]:
    ids = ctx.state["scenario_ids"]
    return "/ai-employees", {"name": f"Profiler {i}", "role": "Bench assistant", "scenario_id": ids[i % len(ids)],
                             "config": {"variables": {"topic": "benchmarks"}}}


def _employee(ctx: Context, i: int) -> tuple[str, None]:
    ids = ctx.state["employee_ids"]
    return f"/ai-employees/{ids[i % len(ids)]}", None


def _need_employee(ctx: Context, get_json: GetJson) -> None:
    if not ctx.state["employee_ids"]:
        ctx.state["employee_ids"] = [e["id"] for e in get_json("/ai-employees?per_page=100", ctx.token)["items"]]
    if not ctx.state["employee_ids"]:
        raise RuntimeError(f"{ctx.email} has no AI employees: include create_employee in --only")


PROFILE = [
    Endpoint("scenarios", "GET", "/scenarios", 40, fixed("/scenarios"), is_list=True),
    Endpoint("scenarios_category", "GET", "/scenarios", 40,
             lambda ctx, i: (f"/scenarios?category={CATEGORIES[i % len(CATEGORIES)]}", None), is_list=True),
    Endpoint("scenario_detail", "GET", "/scenarios/{scenario_id}", 40,
             lambda ctx, i: (f"/scenarios/{ctx.state['scenario_ids'][i % len(ctx.state['scenario_ids'])]}", None),
             uncached=True),
    Endpoint("create_employee", "POST", "/ai-employees", 100, _new_employee, auth=True, expect=201, max_samples=30,
             capture=_remember),
    Endpoint("my_employees", "GET", "/ai-employees", 60, fixed("/ai-employees"), auth=True, is_list=True),
    Endpoint("employee_detail", "GET", "/ai-employees/{employee_id}", 40, _employee, auth=True,
             prepare=_need_employee),
]


def load_setup(state: dict, get_json: GetJson) -> None:
    """Scenario ids to open."""
    state["scenario_ids"] = [s["id"] for s in get_json("/scenarios?per_page=100")["items"]]


def _catalogue(user, state: dict) -> None:
    """The catalogue, all or one category."""
    query = random.choice(["", *(f"?category={c}" for c in CATEGORIES)])
    user.client.get(f"{API_PREFIX}/scenarios{query}", name="scenarios: list")


def _open_scenario(user, state: dict) -> None:
    """A scenario with its steps."""
    user.client.get(f"{API_PREFIX}/scenarios/{random.choice(state['scenario_ids'])}", name="scenarios: detail")


LOAD_ACTIONS = [LoadAction("scenario_list", _catalogue), LoadAction("open_scenario", _open_scenario)]
LOAD_SCENARIOS = {"scenarios": {"scenario_list": 70, "open_scenario": 30}}
