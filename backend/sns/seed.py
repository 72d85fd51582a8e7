"""Seed data of SNS automation: the demo user's accounts and posts, and generated load data.

small: 200 accounts / 2,000 posts; large: 5,000 / 100,000; xl: 50,000 / 1,000,000. The demo user
(user@softfactory.dev) owns 3 accounts and 1 in 20 of the posts' worth at least 200, so its list
(what the profiler and load test read) has realistic depth at every scale.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.common.secrets import encrypt
from backend.sns.models import Platform, PostStatus, PublishedVia, SnsAccount, SnsPost

SIZES = {"small": (200, 2_000), "large": (5_000, 100_000), "xl": (50_000, 1_000_000)}
DEMO_ACCOUNTS = 3
STATUSES = [PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.PUBLISHED, PostStatus.PUBLISHED, PostStatus.FAILED]


def _accounts(ctx: Any, n: int, demo: int, users: list[int]):
    platforms = list(Platform)
    token = encrypt("seeded-demo-credential")  # one token for all: the seed's credentials are fake anyway
    for i in range(1, n + 1):
        owner = demo if i <= DEMO_ACCOUNTS else ctx.rng.choice(users)
        yield {"id": i, "owner_id": owner, "platform": platforms[i % len(platforms)].value, "handle": f"handle{i}",
               "credential": token, "created_at": ctx.now - dt.timedelta(minutes=n - i)}


def _posts(ctx: Any, n: int, owners: dict[int, int], demo_posts: int):
    n_accounts = len(owners)
    for i in range(1, n + 1):
        account = (i % DEMO_ACCOUNTS) + 1 if i <= demo_posts else ctx.rng.randint(DEMO_ACCOUNTS + 1, n_accounts)
        status = STATUSES[i % len(STATUSES)]
        created = ctx.now - dt.timedelta(minutes=n - i)
        # Scheduled seed posts are in the future: a worker started on seeded data publishes nothing at once.
        scheduled = ctx.now + dt.timedelta(days=1 + i % 30) if status == PostStatus.SCHEDULED else \
            (created + dt.timedelta(hours=1) if status != PostStatus.DRAFT else None)
        published = status == PostStatus.PUBLISHED
        yield {"id": i, "account_id": account, "owner_id": owners[account], "content": f"Post {i}: seeded content",
               "media": [], "status": status.value, "scheduled_at": scheduled,
               "next_attempt_at": scheduled if status == PostStatus.SCHEDULED else None,
               "attempts": 1 if status in (PostStatus.PUBLISHED, PostStatus.FAILED) else 0, "claim_token": None,
               "revision": 1, "published_at": scheduled if published else None,
               "published_via": PublishedVia.LOCAL.value if published else None, "external_id": None,
               "error": "webhook answered HTTP 400" if status == PostStatus.FAILED else None,
               "created_at": created, "updated_at": created}


def seed_sns(ctx: Any) -> tuple[str, ...]:
    """Accounts and posts for `ctx.scale`; the demo user gets 3 accounts and a 20th of the posts (>= 200)."""
    n_accounts, n_posts = SIZES.get(ctx.scale, SIZES["small"])
    demo = ctx.shared["demo"]["user"]
    users = ctx.shared["user_ids"]
    accounts = list(_accounts(ctx, n_accounts, demo, users))
    ctx.insert(SnsAccount, accounts)
    owners = {a["id"]: a["owner_id"] for a in accounts}
    ctx.insert(SnsPost, _posts(ctx, n_posts, owners, max(200, n_posts // 20)))
    return ()  # nothing of this domain is in the shared response cache
