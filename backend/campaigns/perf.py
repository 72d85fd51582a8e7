"""Campaigns' part of the performance tools: profiled endpoints and load-test actions (see scripts.perf_spec).

Imported only by the tools (`python -m scripts.profiler`, `python -m scripts.load_test`), never by the app.
Load actions carry no weight in the default "realistic" mix (whose figures docs/performance.md
tracks); the named scenario `campaigns` runs them.
"""

from __future__ import annotations

import datetime as dt
import random
from urllib.parse import urlencode

from backend.common.domain import API_PREFIX
from scripts.perf_spec import Context, Endpoint, GetJson, LoadAction, fixed

PROFILE_ORDER = 60
FILTERS = ["brand=laneige", "sort=-reward", "min_reward=50000&sort=reward", "brand=dyson&sort=newest",
           "max_reward=20000&sort=-deadline"]


def _deadline() -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).replace(microsecond=0).isoformat()


def discover(ctx: Context, get_json: GetJson) -> None:
    """Campaign ids and a keyset cursor ~5,000 campaigns deep, through the API."""
    page = get_json("/campaigns?per_page=100&sort=newest")
    ctx.state["campaign_ids"] = [c["id"] for c in page["items"]]
    if not ctx.state["campaign_ids"]:
        raise RuntimeError("the server has no open campaigns: seed it first (make seed)")
    ctx.data["campaigns_total"] = page["total"]
    cursor, pages = None, 0
    while pages < ctx.max_cursor_pages:
        body = get_json(f"/campaigns?{urlencode({'per_page': 100, **({'cursor': cursor} if cursor else {})})}")
        if not body["next_cursor"]:
            break
        cursor, pages = body["next_cursor"], pages + 1
    ctx.state["campaign_deep_cursor"] = cursor
    ctx.data["campaign_deep_cursor_offset"] = pages * 100


def _campaign(ctx: Context, i: int) -> tuple[str, None]:
    ids = ctx.state["campaign_ids"]
    return f"/campaigns/{ids[i % len(ids)]}", None


def _new_campaign(ctx: Context, i: int) -> tuple[str, dict]:
    return "/campaigns", {"title": f"Profiler campaign {i}", "brand": "Profiler", "product": "Bench kit",
                          "reward": 10_000 * (i % 7), "slots": 5, "deadline": _deadline(), "status": "draft"}


PROFILE = [
    Endpoint("campaigns", "GET", "/campaigns", 50, fixed("/campaigns"), is_list=True),
    Endpoint("campaigns_filtered", "GET", "/campaigns", 100,
             lambda ctx, i: (f"/campaigns?{FILTERS[i % len(FILTERS)]}", None), is_list=True),
    Endpoint("campaigns_uncached", "GET", "/campaigns", 60, fixed("/campaigns"), uncached=True),
    Endpoint("campaigns_deep_cursor", "GET", "/campaigns", 100,
             lambda ctx, i: (f"/campaigns?{urlencode({'cursor': ctx.state['campaign_deep_cursor'] or ''})}", None),
             uncached=True),
    Endpoint("campaign_detail", "GET", "/campaigns/{campaign_id}", 60, _campaign, uncached=True),
    Endpoint("campaign_detail_hot", "GET", "/campaigns/{campaign_id}", 30, lambda ctx, i: _campaign(ctx, 0)),
    Endpoint("create_campaign", "POST", "/campaigns", 100, _new_campaign, auth=True, expect=201, max_samples=50),
    Endpoint("my_campaigns", "GET", "/campaigns/mine", 60, fixed("/campaigns/mine"), auth=True, is_list=True),
    Endpoint("my_applications", "GET", "/campaigns/applications", 60, fixed("/campaigns/applications"), auth=True,
             is_list=True),
]


def load_setup(state: dict, get_json: GetJson) -> None:
    """Open campaign ids to open and apply to."""
    state["campaign_ids"] = [c["id"] for c in get_json("/campaigns?per_page=100")["items"]]
    if not state["campaign_ids"]:
        raise RuntimeError("the server has no open campaigns: seed it first (make seed)")


def _list(user, state: dict) -> None:
    """The public list, page 1 (the cached hot path)."""
    user.client.get(f"{API_PREFIX}/campaigns", name="campaigns: list")


def _filter(user, state: dict) -> None:
    """A filtered or sorted page."""
    user.client.get(f"{API_PREFIX}/campaigns?{random.choice(FILTERS)}", name="campaigns: filter")


def _open(user, state: dict) -> None:
    """A campaign page, skewed toward the top of the list."""
    ids = state["campaign_ids"]
    user.client.get(f"{API_PREFIX}/campaigns/{ids[int(len(ids) * random.random() ** 2)]}", name="campaigns: detail")


def _apply(user, state: dict) -> None:
    """Apply to a campaign; a 409 (applied in an earlier run, or the user's own) is a correct answer."""
    campaign_id = random.choice(state["campaign_ids"])
    with user.client.post(f"{API_PREFIX}/campaigns/{campaign_id}/applications", json={"message": "load test"},
                          headers=user.auth, name="campaigns: apply", catch_response=True) as response:
        if response.status_code == 409:
            response.success()


LOAD_ACTIONS = [
    LoadAction("campaign_list", _list),
    LoadAction("campaign_filter", _filter),
    LoadAction("open_campaign", _open),
    LoadAction("apply_campaign", _apply, auth=True),
]
LOAD_SCENARIOS = {"campaigns": {"campaign_list": 50, "campaign_filter": 25, "open_campaign": 20, "apply_campaign": 5}}
