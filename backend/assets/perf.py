"""Assets' part of the performance tools: metadata, stored bytes, a stored variant and my list.

Imported only by the tools (scripts.profiler, scripts.load_test), never by the app. The seed gives
the demo chef an avatar (backend/assets/seed.py); discovery finds it through the public chef pages.
"""

from __future__ import annotations

from backend.common.domain import API_PREFIX
from scripts.perf_spec import Context, Endpoint, GetJson, LoadAction, fixed

VARIANT = "w=128&format=webp"


def discover(ctx: Context, get_json: GetJson) -> None:
    """An asset id: the first chef on the default list page that has an avatar (the seeded demo chef)."""
    chefs = get_json("/coocook/chefs?per_page=100&sort=newest")["items"]
    with_avatar = [c["avatar_asset_id"] for c in chefs if c.get("avatar_asset_id")]
    if not with_avatar:
        detail = get_json("/coocook/chefs/1")
        with_avatar = [detail["avatar_asset_id"]] if detail.get("avatar_asset_id") else []
    if not with_avatar:
        raise RuntimeError("no chef has an avatar asset: seed the server first (make seed)")
    ctx.state["asset_id"] = with_avatar[0]


def _asset(suffix: str = ""):
    return lambda ctx, i: (f"/assets/{ctx.state['asset_id']}{suffix}", None)


PROFILE_ORDER = 110  # after CooCook (its chef pages are what discovery reads)
PROFILE = [
    Endpoint("asset", "GET", "/assets/{asset_id}", 30, _asset()),
    # Image bytes are compressed already (JPEG/WebP): Flask-Compress leaves image/* alone, rightly.
    Endpoint("asset_content", "GET", "/assets/{asset_id}/content", 30, _asset("/content"), compressible=False),
    # The variant is encoded by the warm-up's first request, then served from storage.
    Endpoint("asset_variant", "GET", "/assets/{asset_id}/optimized", 40, _asset(f"/optimized?{VARIANT}"),
             compressible=False),
    Endpoint("my_assets", "GET", "/assets", 40, fixed("/assets"), auth=True, is_list=True),
]


def load_setup(state: dict, get_json: GetJson) -> None:
    """The demo chef's avatar id (the image the load test keeps asking for)."""
    ctx = Context()
    discover(ctx, get_json)
    state["asset_id"] = ctx.state["asset_id"]


def _view_avatar(user, state: dict) -> None:
    """A chef page's avatar: the stored variant (what a browser without a CDN in front would fetch)."""
    user.client.get(f"{API_PREFIX}/assets/{state['asset_id']}/optimized?{VARIANT}", name="assets: variant")


LOAD_ACTIONS = [LoadAction("asset_variant", _view_avatar)]  # weight 0: only in the "assets" scenario
LOAD_SCENARIOS = {"assets": {"asset_variant": 1}}
