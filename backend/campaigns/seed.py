"""Seed data of review campaigns: brands' campaigns over a year, and applications to them.

Sizes by scale (kept here so the central seeding table needs no edit): small 2,000 campaigns,
large 100,000 (the list benchmark's data), xl 1,000,000; about two applications per campaign.
Campaigns are owned by a pool of "brand" accounts (1 in 50 users) plus the demo user's own two;
85% are open with a deadline 1-120 days ahead, 10% closed (deadline passed), 5% drafts. Rewards
are round amounts (zero for product-only campaigns), slots 3-50. Applications take distinct users
per campaign; on open campaigns most are pending, on closed ones most are decided. The counters
(approved_count within slots, applications_count, the open total) are computed in SQL from the
rows, so they are exact by construction. Bulk inserts: COPY on PostgreSQL, indexes built after.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text

from backend.campaigns.models import ApplicationStatus, Campaign, CampaignApplication, CampaignStatus
from backend.common.actor import Role
from backend.extensions import db

SIZES = {"small": 2_000, "large": 100_000, "xl": 1_000_000}
BRANDS = ["Amorepacific", "Innisfree", "Laneige", "Sulwhasoo", "Cosrx", "Missha", "Etude", "Nature Republic",
          "Samsung", "LG", "Xiaomi", "Dyson", "Philips", "Cuckoo", "Lock&Lock", "Nongshim", "Ottogi", "CJ",
          "Orion", "Lotte", "Binggrae", "Maeil", "Starbucks", "Ediya", "Paris Baguette", "Olive Young",
          "Musinsa", "Nike", "Adidas", "New Balance", "Fila", "Uniqlo", "Zara", "Ikea", "Hanssem", "Coway",
          "Kurly", "Coupang", "Baemin", "Yanolja"]
PRODUCTS = ["serum", "sunscreen", "cushion foundation", "toner pads", "hand cream", "wireless earbuds",
            "robot vacuum", "air purifier", "rice cooker", "stick blender", "instant ramen", "snack box",
            "cold brew", "protein bar", "running shoes", "rain jacket", "desk lamp", "pillow", "meal kit",
            "hotel stay", "phone case", "smart watch", "yoga mat", "water bottle"]
REWARDS = [0, 0, 10_000, 20_000, 30_000, 50_000, 50_000, 70_000, 100_000, 150_000, 200_000, 300_000, 500_000]
DRAFT, OPEN, CLOSED = (s.value for s in CampaignStatus)
DEMO_APPLICATIONS = 5
PENDING, APPROVED, REJECTED, COMPLETED = (s.value for s in ApplicationStatus)


def _campaigns(n: int, owners: list[int], demo_user: int, rng: Any, now: dt.datetime):
    for cid in range(1, n + 1):
        roll = rng.random()
        status = OPEN if roll < 0.85 else CLOSED if roll < 0.95 else DRAFT
        if status == CLOSED:
            deadline = now - dt.timedelta(days=rng.randint(1, 240), minutes=rng.randrange(1440))
        else:
            deadline = now + dt.timedelta(days=rng.randint(1, 120), minutes=rng.randrange(1440))
        created = min(now, deadline - dt.timedelta(days=rng.randint(7, 60))) - dt.timedelta(minutes=rng.randrange(1440))
        brand, product = rng.choice(BRANDS), rng.choice(PRODUCTS)
        yield {"id": cid, "owner_id": demo_user if cid <= 2 else rng.choice(owners),
               "title": f"{brand} {product}: honest reviews wanted", "brand": brand, "product": f"{brand} {product}",
               "description": f"Try the {brand} {product} for two weeks and post an honest review with photos.",
               "reward": rng.choice(REWARDS), "slots": rng.randint(3, 50), "approved_count": 0,
               "applications_count": 0, "deadline": deadline, "status": status, "created_at": created,
               "updated_at": created}


def _applications(campaigns: list[tuple[int, str, int, int]], users: list[int], demo_user: int, rng: Any,
                  now: dt.datetime):
    """About two applications per campaign, by distinct users; approvals stay within each campaign's slots.

    The demo user also applies to the first DEMO_APPLICATIONS open campaigns it does not own, so its
    "my applications" page has rows (the profiler reads it as that account).
    """
    aid, demo_left = 0, DEMO_APPLICATIONS
    for cid, status, slots, owner in campaigns:
        if status == DRAFT:
            continue
        count = min(len(users), int(rng.expovariate(1 / 2.2)))
        approved = 0
        picks = rng.sample(users, count)
        if demo_left and status == OPEN and owner != demo_user:
            demo_left -= 1
            if demo_user not in picks:
                picks.append(demo_user)
        for user_id in picks:
            if user_id == owner:  # nobody applies to their own campaign
                continue
            aid += 1
            roll = rng.random()
            if status == OPEN:
                state = PENDING if roll < 0.7 else APPROVED if roll < 0.9 else REJECTED
            else:
                state = COMPLETED if roll < 0.5 else APPROVED if roll < 0.7 else REJECTED
            if state in (APPROVED, COMPLETED):
                if approved >= slots:
                    state = REJECTED
                else:
                    approved += 1
            at = now - dt.timedelta(days=rng.randint(0, 30), minutes=rng.randrange(1440))
            yield {"id": aid, "campaign_id": cid, "user_id": user_id, "status": state,
                   "message": "I review skincare and gadgets every week.",
                   "review_url": f"https://blog.example.com/reviews/{aid}" if state == COMPLETED else None,
                   "created_at": at, "updated_at": at}


def _refresh_counters() -> None:
    """approved_count and applications_count from the rows, and the open total (exact by construction)."""
    db.session.execute(text(f"""
        UPDATE campaigns SET
          approved_count = (SELECT count(*) FROM campaign_applications a
                            WHERE a.campaign_id = campaigns.id AND a.status IN ('{APPROVED}', '{COMPLETED}')),
          applications_count = (SELECT count(*) FROM campaign_applications a WHERE a.campaign_id = campaigns.id)
        WHERE id IN (SELECT DISTINCT campaign_id FROM campaign_applications)"""))
    db.session.execute(text(f"INSERT INTO campaign_counters (id, open_count) "
                            f"SELECT 1, count(*) FROM campaigns WHERE status = '{OPEN}'"))


def seed_campaigns(ctx: Any) -> tuple[str, ...]:
    """Campaigns (the demo user owns the first two), applications by the seeded users, counters."""
    now, rng = ctx.now, ctx.rng
    n = SIZES.get(ctx.scale, SIZES["small"])
    users = ctx.shared["user_ids"]
    demo_user = ctx.shared["demo"][Role.USER.value]
    owners = [u for u in users[::50] if u != demo_user] or users  # the demo user owns exactly two
    rows = list(_campaigns(n, owners, demo_user, rng, now))
    summary = [(r["id"], r["status"], r["slots"], r["owner_id"]) for r in rows]
    with ctx.indexes_deferred(Campaign.__table__, CampaignApplication.__table__):
        ctx.insert(Campaign, rows)
        del rows
        ctx.insert(CampaignApplication, _applications(summary, users, demo_user, rng, now))
    _refresh_counters()
    return ("campaigns",)
