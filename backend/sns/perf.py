"""SNS automation's part of the performance tools: profiled endpoints and load actions (scripts.perf_spec).

The profiler signs in as the demo user, who owns 3 seeded accounts and >= 200 posts at every scale.
Imported only by the tools, never by the app.
"""

from __future__ import annotations

import random
from urllib.parse import urlencode

from backend.common.domain import API_PREFIX
from scripts.perf_spec import Context, Endpoint, GetJson, LoadAction, fixed


def _prepare(ctx: Context, get_json: GetJson) -> None:
    """The signed-in user's post ids and a cursor 100 posts deep (once; runs after sign-in)."""
    if "sns_post_ids" in ctx.state:
        return
    page = get_json("/sns/posts?per_page=100", ctx.token)
    ctx.state["sns_post_ids"] = [p["id"] for p in page["items"]] or [1]
    ctx.state["sns_cursor"] = page["next_cursor"] or ""
    ctx.data["sns_posts_total"] = page["total"]


def _post(ctx: Context, i: int) -> tuple[str, None]:
    ids = ctx.state["sns_post_ids"]
    return f"/sns/posts/{ids[i % len(ids)]}", None


PROFILE = [
    Endpoint("sns_posts", "GET", "/sns/posts", 60, fixed("/sns/posts"), auth=True, is_list=True),
    Endpoint("sns_posts_scheduled", "GET", "/sns/posts", 60, fixed("/sns/posts?status=scheduled"), auth=True,
             is_list=True),
    Endpoint("sns_posts_deep", "GET", "/sns/posts", 60,
             lambda ctx, i: (f"/sns/posts?{urlencode({'cursor': ctx.state['sns_cursor']})}", None), auth=True,
             prepare=_prepare),
    Endpoint("sns_post_detail", "GET", "/sns/posts/{post_id}", 40, _post, auth=True, prepare=_prepare),
    Endpoint("sns_accounts", "GET", "/sns/accounts", 40, fixed("/sns/accounts"), auth=True, is_list=True),
]


def _my_posts(user, state: dict) -> None:
    """The signed-in user's posts, sometimes by status."""
    status = random.choice(("", "", "scheduled", "published"))
    user.client.get(f"{API_PREFIX}/sns/posts" + (f"?status={status}" if status else ""), headers=user.auth,
                    name="sns: my posts")


LOAD_ACTIONS = [LoadAction("sns_posts", _my_posts, auth=True)]
LOAD_SCENARIOS = {"sns": {"sns_posts": 100}}
