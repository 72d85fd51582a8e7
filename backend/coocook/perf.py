"""CooCook's part of the performance tools: profiled endpoints and load-test actions (see scripts.perf_spec).

Imported only by the tools (`python -m scripts.profiler`, `python -m scripts.load_test`), never by the app.
"""

from __future__ import annotations

import random
from urllib.parse import urlencode

from backend.common.domain import API_PREFIX
from scripts.perf_common import SlotPicker, filter_queries
from scripts.perf_spec import Context, Endpoint, GetJson, LoadAction, fixed


def _chef(ctx: Context, i: int) -> int:
    ids = ctx.state["chef_ids"]
    return ids[i % len(ids)]


def discover(ctx: Context, get_json: GetJson) -> None:
    """Chef ids, filter values that match rows, a deep keyset cursor and a slot picker, through the API."""
    page = get_json("/coocook/chefs?per_page=100&sort=newest")
    ctx.state["chef_ids"] = sorted(c["id"] for c in page["items"])
    if not ctx.state["chef_ids"]:
        raise RuntimeError("the server has no chefs: seed it first (make seed)")
    ctx.state["filters"] = filter_queries(page["items"])
    ctx.state["slots"] = SlotPicker(ctx.state["chef_ids"])
    ctx.state["booking_ids"] = []
    ctx.data["chefs_total"] = page["total"]
    cursor, pages = None, 0
    while pages < ctx.max_cursor_pages:  # walk toward the 5,000th chef (or the end) to profile a deep page
        query = urlencode({"per_page": 100, **({"cursor": cursor} if cursor else {})})
        next_cursor = get_json(f"/coocook/chefs?{query}")["next_cursor"]
        if not next_cursor:
            break
        cursor, pages = next_cursor, pages + 1
    ctx.state["deep_cursor"] = cursor
    ctx.data["deep_cursor_offset"] = pages * 100


def _remember_booking(ctx: Context, body: dict) -> None:
    ctx.state["booking_ids"].append(body["id"])


def _fetch_booking_ids(ctx: Context, get_json: GetJson) -> None:
    """Ids of my bookings, for booking_detail when create_booking did not run (--only)."""
    if not ctx.state["booking_ids"]:
        ctx.state["booking_ids"] = [b["id"] for b in get_json("/coocook/bookings?per_page=100", ctx.token)["items"]]
    if not ctx.state["booking_ids"]:
        raise RuntimeError(f"{ctx.email} has no bookings to read: include create_booking in --only")


def _booking(ctx: Context, i: int) -> tuple[str, None]:
    ids = ctx.state["booking_ids"]
    return f"/coocook/bookings/{ids[i % len(ids)]}", None


# Order matters: bookings are created before they are listed, so the list is full and stable.
PROFILE = [
    Endpoint("chefs", "GET", "/coocook/chefs", 50, fixed("/coocook/chefs"), is_list=True),
    Endpoint("chefs_filtered", "GET", "/coocook/chefs", 100,
             lambda ctx, i: (f"/coocook/chefs?{ctx.state['filters'][i % len(ctx.state['filters'])]}", None),
             is_list=True),
    # Measured on the uncached server (the documented switch, CACHE_TYPE=NullCache; cache keys come
    # from the validated query, so junk parameters no longer defeat the cache): the handler and its
    # queries, page 1 against deep in a cursor walk, and a chef page.
    Endpoint("chefs_uncached", "GET", "/coocook/chefs", 60, fixed("/coocook/chefs"), uncached=True),
    Endpoint("chefs_deep_cursor", "GET", "/coocook/chefs", 100,
             lambda ctx, i: (f"/coocook/chefs?{urlencode({'cursor': ctx.state['deep_cursor'] or ''})}", None),
             uncached=True),
    Endpoint("chef_detail", "GET", "/coocook/chefs/{chef_id}", 60,
             lambda ctx, i: (f"/coocook/chefs/{_chef(ctx, i)}", None), uncached=True),
    # The same chef every time: the cached path.
    Endpoint("chef_detail_hot", "GET", "/coocook/chefs/{chef_id}", 30,
             lambda ctx, i: (f"/coocook/chefs/{_chef(ctx, 0)}", None)),
    Endpoint("create_booking", "POST", "/coocook/bookings", 100,
             lambda ctx, i: ("/coocook/bookings", ctx.state["slots"].next()), auth=True, expect=201,
             capture=_remember_booking),
    Endpoint("my_bookings", "GET", "/coocook/bookings", 60, fixed("/coocook/bookings"), auth=True, is_list=True),
    Endpoint("booking_detail", "GET", "/coocook/bookings/{booking_id}", 40, _booking, auth=True,
             prepare=_fetch_booking_ids),
]


def load_setup(state: dict, get_json: GetJson) -> None:
    """The top-rated chefs (what the actions open and book), filter values and a slot picker."""
    chefs = get_json("/coocook/chefs?per_page=100&sort=-rating")["items"]
    if not chefs:
        raise RuntimeError("the server has no chefs: seed it first (make seed)")
    state["chef_ids"] = [c["id"] for c in chefs]
    state["filters"] = filter_queries(chefs)
    state["slots"] = SlotPicker(sorted(state["chef_ids"]))


def _browse(user, state: dict) -> None:
    """Chef list: page 1 of the default sort (the cached hot path) or a filtered/sorted page."""
    if random.random() < 0.4:
        user.client.get(f"{API_PREFIX}/coocook/chefs", name="chefs: list")
    else:
        page = random.choice((1, 1, 1, 2, 3))
        user.client.get(f"{API_PREFIX}/coocook/chefs?{random.choice(state['filters'])}&page={page}",
                        name="chefs: filter")


def _chef_list(user, state: dict) -> None:
    """The public chef list, page 1."""
    user.client.get(f"{API_PREFIX}/coocook/chefs", name="chefs: list")


def _open_chef(user, state: dict) -> None:
    """A chef page; skewed toward the top of the list (popular chefs are opened more)."""
    chef_id = state["chef_ids"][int(len(state["chef_ids"]) * random.random() ** 2)]
    user.client.get(f"{API_PREFIX}/coocook/chefs/{chef_id}", name="chefs: detail")


def _book(user, state: dict) -> None:
    """Book a slot no one in this run has booked; a 409 (taken by an earlier run) is a correct answer."""
    with user.client.post(f"{API_PREFIX}/coocook/bookings", json=state["slots"].next(), headers=user.auth,
                          name="bookings: create", catch_response=True) as response:
        if response.status_code == 409:
            response.success()


def _my_bookings(user, state: dict) -> None:
    """The signed-in user's bookings."""
    user.client.get(f"{API_PREFIX}/coocook/bookings", headers=user.auth, name="bookings: mine")


# Weights: the share of each action in the default ("realistic") mix.
LOAD_ACTIONS = [
    LoadAction("browse", _browse, weight=60),
    LoadAction("open_chef", _open_chef, weight=25),
    LoadAction("book", _book, weight=10, auth=True),
    LoadAction("my_bookings", _my_bookings, weight=5, auth=True),
    LoadAction("chef_list", _chef_list),
]
LOAD_SCENARIOS = {"chefs": {"chef_list": 100}}
