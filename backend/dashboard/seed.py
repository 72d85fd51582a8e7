"""Seed data of the dashboards: chef-detail views of the last 30 days, so the conversion KPI has a funnel.

Views follow the bookings' Zipf skew: the chef of rank r gets about VIEWS_TOP / (r + 1) views a
day (with noise), for the VIEWED most popular chefs (rank = chef id order, as the coocook seed
ranks them); a few hundred rows at any scale.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.dashboard.models import ChefView

DAYS, VIEWED, VIEWS_TOP = 30, 300, 400


def seed_dashboard(ctx: Any) -> tuple[str, ...]:
    """chef_views for the last DAYS days."""
    chefs = min(VIEWED, ctx.sizes["chefs"])
    today = ctx.now.date()
    rows = ({"chef_id": rank + 1, "day": today - dt.timedelta(days=back),
             "views": max(1, int(VIEWS_TOP / (rank + 1) * ctx.rng.uniform(0.6, 1.4)))}
            for back in range(DAYS) for rank in range(chefs))
    ctx.insert(ChefView, rows)
    return ("chef_views",)
