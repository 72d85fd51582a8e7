"""Seed data of AI-automation scenarios: the catalogue from data/scenarios.json, and AI employees.

The catalogue is the same at every scale (32 scenarios in 10 categories); employees: the demo user
has two, and 1 in 10 generated users one (small: ~100, large: ~5,000), spread over the catalogue.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from backend.common.actor import Role
from backend.scenarios.models import AIEmployee, EmployeeStatus, Scenario
from backend.scenarios.services.catalogue import variables_of

DATA = Path(__file__).parent / "data" / "scenarios.json"
ROLES = ["Content manager", "Support agent", "Sales assistant", "Marketing lead", "Operations analyst",
         "HR coordinator", "Finance assistant", "Researcher"]
SAMPLE_VALUES = {"topic": "home coffee brewing", "audience": "busy office workers", "brand": "SoftFactory",
                 "product": "the SoftFactory planner", "tone": "friendly", "position": "backend engineer",
                 "market": "Japan", "language_name": "Japanese", "budget": "2,000,000 KRW", "threshold": "14",
                 "reward": "50,000 KRW", "policy": "refunds within 14 days of delivery, unused items only",
                 "pricing": "basic 9,900 KRW a month, team 29,000 KRW a month"}


def catalogue() -> list[dict[str, Any]]:
    """The scenarios of the data file, in file order."""
    return json.loads(DATA.read_text(encoding="utf-8"))


def _config(steps: list[dict[str, Any]]) -> dict[str, Any]:
    names = variables_of(steps)
    return {"variables": {n: SAMPLE_VALUES.get(n, n.replace("_", " ")) for n in names}, "tone": "friendly",
            "language": "en"}


def seed_scenarios(ctx: Any) -> tuple[str, ...]:
    """The catalogue (ids from 1 in file order) and a few employees per hundred users."""
    scenarios = catalogue()
    ctx.insert(Scenario, [{"id": i, "created_at": ctx.now, **s} for i, s in enumerate(scenarios, start=1)])
    demo = ctx.shared["demo"][Role.USER.value]
    owners = [demo, demo, *(u for u in ctx.shared["user_ids"][::10] if u != demo)]
    rows = []
    for n, owner in enumerate(owners, start=1):
        scenario_id = 1 + (n - 1) % len(scenarios) if n <= 2 else ctx.rng.randrange(1, len(scenarios) + 1)
        rows.append({"id": n, "owner_id": owner, "scenario_id": scenario_id, "name": f"Assistant {n}",
                     "role": ROLES[n % len(ROLES)], "config": _config(scenarios[scenario_id - 1]["steps"]),
                     "status": EmployeeStatus.PAUSED.value if n % 17 == 0 else EmployeeStatus.ACTIVE.value,
                     "runs_count": 0, "created_at": ctx.now, "updated_at": ctx.now})
    ctx.insert(AIEmployee, rows)
    return ("scenarios",)
